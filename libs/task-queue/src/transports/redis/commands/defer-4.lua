--[[
  Defer an unacked delivery (ETA far ahead, celeriac improvement (b)): move its entry from the
  ack-emulation keys into the delayed zset, scored by its due time. The worker holds nothing.

  KEYS[1] unacked
  KEYS[2] unacked_index
  KEYS[3] delayed zset (celeriac extra key)
  KEYS[4] parked counts by routing key (celeriac extra key, includes/parked-counts.lua)
  ARGV[1] delivery tag
  ARGV[2] due time, Unix milliseconds
  Returns 1 when parked, 0 when the tag was no longer unacked (restored or settled elsewhere).
]]
--- @include "parked-counts"
local triple = redis.call('HGET', KEYS[1], ARGV[1])
if not triple then return 0 end
if redis.call('ZADD', KEYS[3], ARGV[2], triple) == 1 then countParked(KEYS[4], triple, 1) end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
