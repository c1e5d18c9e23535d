--[[
  kombu's restore_visible: entries delivered longer ago than the visibility timeout go back to
  the front of their queue (RPUSH) with kombu's redelivered flags. Honours unacked_mutex: when
  another process (a Python worker) holds it, nothing is done.

  KEYS[1] unacked
  KEYS[2] unacked_index
  KEYS[3] unacked_mutex
  ARGV[1..4] routing (see includes/routing.lua)
  ARGV[5] mutex token
  ARGV[6] mutex expiry, milliseconds (kombu unacked_mutex_expire)
  ARGV[7] ceiling: now - visibility timeout, Unix seconds
  ARGV[8] maximum number of entries to restore (0 = no limit)
  Returns the number of entries restored, or -1 when the mutex is held by someone else.
]]
--- @include "routing"
if not redis.call('SET', KEYS[3], ARGV[5], 'PX', ARGV[6], 'NX') then return -1 end
local tags
if tonumber(ARGV[8]) > 0 then
  tags = redis.call('ZREVRANGEBYSCORE', KEYS[2], ARGV[7], 0, 'LIMIT', 0, ARGV[8])
else
  tags = redis.call('ZREVRANGEBYSCORE', KEYS[2], ARGV[7], 0)
end
local restored = 0
for _, tag in ipairs(tags) do
  local triple = redis.call('HGET', KEYS[1], tag)
  redis.call('ZREM', KEYS[2], tag)
  redis.call('HDEL', KEYS[1], tag)
  if triple then restored = restored + routeTriple(triple, false, true) end
end
if redis.call('GET', KEYS[3]) == ARGV[5] then redis.call('DEL', KEYS[3]) end
return restored
