--[[
  The routing key of an entry of kombu's unacked hash or of the delayed zset.
]]

-- The routing key ending an entry "[envelope, exchange, routing_key]" ('' when unreadable).
-- `^.*` runs to the end and backs up to the last quoted string: the cost is the entry's
-- length in one C loop, not a pattern match at every position.
local function entryRoute(entry)
  return string.match(entry, '^.*"([^"]*)"%s*%]%s*$') or ''
end
