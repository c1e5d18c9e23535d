--[[
  Publish with notBefore: park the entry in the delayed zset until it is due
  (celeriac improvement (b); promote-2.lua moves it to its queue later).

  KEYS[1] _kombu.binding.<exchange> (Celery task queues: the exchange has the queue's name)
  KEYS[2] delayed zset (celeriac extra key)
  KEYS[3] parked counts by routing key (celeriac extra key, includes/parked-counts.lua)
  ARGV[1] binding member "routing_key SEP SEP queue"
  ARGV[2] due time, Unix milliseconds
  ARGV[3] entry JSON "[envelope, exchange, routing_key]" (unique: the envelope has a uuid tag)
  Returns 1.
]]
--- @include "parked-counts"
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3]) == 1 then countParked(KEYS[3], ARGV[3], 1) end
return 1
