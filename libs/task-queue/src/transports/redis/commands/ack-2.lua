--[[
  Ack (or reject without requeue) a batch of deliveries: kombu's QoS.ack for each tag.

  KEYS[1] unacked
  KEYS[2] unacked_index
  ARGV[1..] delivery tags
  Returns the number of tags that were still unacked.
]]
local removed = 0
for i = 1, #ARGV do
  redis.call('ZREM', KEYS[2], ARGV[i])
  removed = removed + redis.call('HDEL', KEYS[1], ARGV[i])
end
return removed
