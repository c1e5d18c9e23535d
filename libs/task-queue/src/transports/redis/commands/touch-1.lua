--[[
  Lease renewal (celeriac improvement (a)): bump the unacked_index score of live deliveries so
  that no restore (ours or kombu's) treats them as abandoned. Tags no longer unacked are left
  alone (ZADD XX never re-creates them).

  KEYS[1] unacked_index
  ARGV[1] now, Unix seconds
  ARGV[2..] delivery tags
  Returns the number of tags renewed.
]]
local renewed = 0
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[i])
    renewed = renewed + 1
  end
end
return renewed
