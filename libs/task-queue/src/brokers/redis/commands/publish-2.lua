--[[
  Publish one envelope to a queue, as kombu does (binding SADD, then LPUSH).

  KEYS[1] _kombu.binding.<exchange> (Celery task queues: the exchange has the queue's name)
  KEYS[2] the queue's priority list (queue or queue SEP band)
  ARGV[1] binding member "routing_key SEP SEP queue"
  ARGV[2] envelope JSON
  Returns the list length after the push.
]]
redis.call('SADD', KEYS[1], ARGV[1])
return redis.call('LPUSH', KEYS[2], ARGV[2])
