--[[
  Beat schedule store: delete one schedule and announce it.

  KEYS[1] definitions hash, KEYS[2] states hash, KEYS[3] revisions hash
  ARGV[1] schedule name
  ARGV[2] change channel (PUBLISHed the name)
  Returns 1 when the schedule existed, else 0.
]]
local existed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[1])
return existed
