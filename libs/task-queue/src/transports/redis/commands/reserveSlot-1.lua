--[[
  Reserve the next start slot of a rate-limited task type, cluster-wide (GCRA-style: one slot
  every `interval` ms, a burst of one). Uses the server's clock, so workers' clocks may differ.

  KEYS[1] <prefix>ratelimit:<task name>   holds the next free slot, in ms since the epoch
  ARGV[1] interval between starts, ms
  Returns the wait in ms before the reserved slot (0: start now).
]]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local interval = tonumber(ARGV[1])
local nextSlot = tonumber(redis.call('GET', KEYS[1]) or now)
if nextSlot < now then nextSlot = now end
local after = nextSlot + interval
redis.call('SET', KEYS[1], after, 'PX', math.ceil(after - now + interval))
return nextSlot - now
