--[[
  Publish with notBefore: park the entry in the delayed zset until it is due
  (celeriac improvement (b); promote-1.lua moves it to its queue later).

  KEYS[1] _kombu.binding.<exchange> (Celery task queues: the exchange has the queue's name)
  KEYS[2] delayed zset (celeriac extra key)
  ARGV[1] binding member "routing_key SEP SEP queue"
  ARGV[2] due time, Unix milliseconds
  ARGV[3] entry JSON "[envelope, exchange, routing_key]" (unique: the envelope has a uuid tag)
  Returns 1.
]]
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
