--[[
  Ack (or reject without requeue) a batch of deliveries: kombu's QoS.ack for each tag, as one
  ZREM and one HDEL for the whole batch (a call per tag cost twice as much; callers send at
  most a few hundred tags).

  KEYS[1] unacked
  KEYS[2] unacked_index
  ARGV[1..] delivery tags
  Returns the number of tags that were still unacked.
]]
local removed = 0
-- In slices: Lua's unpack takes at most a few thousand values.
for from = 1, #ARGV, 1000 do
  local to = math.min(from + 999, #ARGV)
  redis.call('ZREM', KEYS[2], unpack(ARGV, from, to))
  removed = removed + redis.call('HDEL', KEYS[1], unpack(ARGV, from, to))
end
return removed
