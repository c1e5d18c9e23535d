--[[
  Beat schedule store: write one schedule's definition and state, bump its revision, announce it.
  Compare-and-set: with ARGV[6], the write happens only if the stored revision is that one (a
  schedule never written, or removed, has revision 0). An edit reads a schedule, then writes
  with the revision it read; a leader's claim (which bumps the revision) or another edit made in
  between makes it fail, and the edit is retried on the fresh row. Checked and written in one
  script, so nothing can come in between.

  KEYS[1] definitions hash (name -> definition JSON)
  KEYS[2] states hash (name -> state JSON, without the revision)
  KEYS[3] revisions hash (name -> integer revision)
  ARGV[1] schedule name
  ARGV[2] definition JSON
  ARGV[3] state JSON
  ARGV[4] '1': leave a schedule whose stored definition is the same JSON alone
  ARGV[5] change channel (PUBLISHed the name)
  ARGV[6] expected revision ('': write whatever the stored revision)
  Returns the new revision, or 0 when nothing was written.
]]
if ARGV[6] ~= nil and ARGV[6] ~= '' then
  local stored = 0
  if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
    stored = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
  end
  if stored ~= tonumber(ARGV[6]) then
    return 0
  end
end
if ARGV[4] == '1' and redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
local rev = redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
redis.call('PUBLISH', ARGV[5], ARGV[1])
return rev
