--[[
  Move due parked entries from the delayed zset to the back of their queues (LPUSH, as a
  publish would), without the redelivered flags.

  KEYS[1] delayed zset (celeriac extra key)
  KEYS[2] parked counts by routing key (celeriac extra key, includes/parked-counts.lua)
  ARGV[1..4] routing (see includes/routing.lua)
  ARGV[5] now, Unix milliseconds
  ARGV[6] maximum number of entries to move
  Returns {moved, due time of the next parked entry in ms or -1}.
]]
--- @include "routing"
--- @include "parked-counts"
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[5], 'LIMIT', 0, ARGV[6])
local moved = 0
for _, triple in ipairs(due) do
  if redis.call('ZREM', KEYS[1], triple) == 1 then countParked(KEYS[2], triple, -1) end
  moved = moved + routeTriple(triple, true, false)
end
local nextDue = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if nextDue[2] then return { moved, nextDue[2] } end
return { moved, -1 }
