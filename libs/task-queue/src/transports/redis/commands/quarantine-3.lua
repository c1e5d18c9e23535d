--[[
  Set aside deliveries whose envelope the consumer could not read (fetch-2.lua reads only the
  tag of a well-formed envelope, so a body that is not JSON is found later, in Node): move each
  entry's envelope from the ack-emulation keys to the invalid list, where fetch-2.lua puts the
  entries it recognizes as unreadable itself. Nothing is lost; LRANGE the list to inspect.

  KEYS[1] unacked
  KEYS[2] unacked_index
  KEYS[3] list that receives unreadable entries (celeriac extra key)
  ARGV[1..] delivery tags
  Returns the number of entries moved.
]]
--- @include "json-text"
--- @include "set-aside"
local moved = 0
for i = 1, #ARGV do
  local triple = redis.call('HGET', KEYS[1], ARGV[i])
  redis.call('ZREM', KEYS[2], ARGV[i])
  redis.call('HDEL', KEYS[1], ARGV[i])
  if triple then
    setAside(KEYS[3], tripleEnvelope(triple) or triple)
    moved = moved + 1
  end
end
return moved
