--[[
  Beat schedule store: write one schedule's definition and state, bump its revision, announce it.

  KEYS[1] definitions hash (name -> definition JSON)
  KEYS[2] states hash (name -> state JSON, without the revision)
  KEYS[3] revisions hash (name -> integer revision)
  ARGV[1] schedule name
  ARGV[2] definition JSON
  ARGV[3] state JSON
  ARGV[4] '1': leave a schedule whose stored definition is the same JSON alone
  ARGV[5] change channel (PUBLISHed the name)
  Returns the new revision, or 0 when nothing was written.
]]
if ARGV[4] == '1' and redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
local rev = redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
redis.call('PUBLISH', ARGV[5], ARGV[1])
return rev
