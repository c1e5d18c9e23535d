--[[
  Ack (or reject without requeue) a batch of deliveries: kombu's QoS.ack for each tag, as one
  ZREM and one HDEL for the whole batch (a call per tag cost twice as much; callers send at
  most a few hundred tags).

  KEYS[1] unacked
  KEYS[2] unacked_index
  ARGV[1..] delivery tags
  Returns the number of tags that were still unacked.
]]
if #ARGV == 0 then return 0 end
redis.call('ZREM', KEYS[2], unpack(ARGV))
return redis.call('HDEL', KEYS[1], unpack(ARGV))
