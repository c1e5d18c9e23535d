--[[
  Parked entries per queue (celeriac extra key `<prefix>delayed.counts`, a hash: routing key ->
  entries of the delayed zset routed to it), kept by every script that adds to or takes from the
  delayed zset, so a metrics scrape reads one small hash instead of every parked entry.
  queueStats-3.lua rebuilds it when its sum is not the zset's size (entries written by an older
  version, or removed by hand).
]]
--- @include "entry-route"

-- Add `delta` (1 or -1) to the count of `entry`'s routing key; a count of 0 is removed.
local function countParked(countsKey, entry, delta)
  local route = entryRoute(entry)
  if redis.call('HINCRBY', countsKey, route, delta) <= 0 then
    redis.call('HDEL', countsKey, route)
  end
end
