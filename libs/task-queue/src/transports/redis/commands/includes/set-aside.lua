--[[
  The invalid list (celeriac extra key): entries that are not kombu envelopes are moved there
  instead of being delivered or dropped. The newest 1,000 are kept for inspection (LRANGE).
]]

-- Move an unreadable entry `raw` to the invalid list `list`.
local function setAside(list, raw)
  redis.call('LPUSH', list, raw)
  redis.call('LTRIM', list, 0, 999)
end
