--[[
  Give deliveries back to their queues (kombu's restore_by_tag): reject(requeue=true) pushes to
  the back of the line (LPUSH, leftmost), a closing consumer pushes to the front (RPUSH) so the
  messages are served next. kombu's redelivered flags are set; the tag is kept.

  KEYS[1] unacked
  KEYS[2] unacked_index
  ARGV[1..4] routing (see includes/routing.lua)
  ARGV[5] '1' = LPUSH (reject with requeue), '0' = RPUSH (restore on close)
  ARGV[6..] delivery tags
  Returns the number of entries routed back.
]]
--- @include "routing"
local left = ARGV[5] == '1'
local restored = 0
for i = 6, #ARGV do
  local triple = redis.call('HGET', KEYS[1], ARGV[i])
  redis.call('ZREM', KEYS[2], ARGV[i])
  redis.call('HDEL', KEYS[1], ARGV[i])
  if triple then restored = restored + routeTriple(triple, left, true) end
end
return restored
