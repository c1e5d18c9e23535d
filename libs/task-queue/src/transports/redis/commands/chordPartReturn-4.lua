--[[
  Celery's Redis on_chord_part_return join (docs/protocol.md#chord-join-on-redis): add one header
  result to the chord's zset and tell whether the whole header is done. The keys are NOT
  deleted here: the caller deletes them after publishing the chord body (like Celery), so a
  crash in between lets a redelivered header task complete the chord again.

  KEYS[1] celery-taskset-meta-<gid>.j  (zset of '[1, tid, state, result]' by group_index)
  KEYS[2] celery-taskset-meta-<gid>.s  (chord size, set by the producer)
  KEYS[3] celery-taskset-meta-<gid>.t  (extra tasks added at run time)
  KEYS[4] celery-taskset-meta-<gid>    (saved GroupResult, when a header member is a group)
  ARGV[1] member JSON
  ARGV[2] score: group_index, or '+inf' when it is null
  ARGV[3] expiry in seconds (0: none)
  Returns {0, count} while incomplete, {1, members in index order, saved group JSON or false}
  when count == size + extra, {2, size} when the size is not a number (another program wrote
  it: the chord could never complete, Celery's int() raises), {3, key, type} when a key holds
  the wrong type (another program wrote it; Celery's pipeline raises WRONGTYPE): nothing is
  written then.
]]
local expected = { 'zset', 'string', 'string', 'string' }
for i = 1, 4 do
  local found = redis.call('TYPE', KEYS[i]).ok
  if found ~= 'none' and found ~= expected[i] then return { 3, KEYS[i], found } end
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local count = redis.call('ZCOUNT', KEYS[1], '-inf', '+inf')
local extra = tonumber(redis.call('GET', KEYS[3]) or '0') or 0
local size = redis.call('GET', KEYS[2])
if tonumber(ARGV[3]) > 0 then
  for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[3]) end
end
if size and not tonumber(size) then return { 2, size } end
if size and count == tonumber(size) + extra then
  return { 1, redis.call('ZRANGE', KEYS[1], 0, -1), redis.call('GET', KEYS[4]) }
end
return { 0, count }
