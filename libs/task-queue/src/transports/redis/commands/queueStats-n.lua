--[[
  Statistics of many queues in one atomic call (metrics scrapes, docs/metrics-and-health.md):
  per queue, the ready messages of every priority band, the unacked deliveries and parked
  (ETA) entries routed to it, its dead letters, and its oldest ready message.

  The unacked hash and the delayed zset are shared by all queues: their entries
  ("[envelope, exchange, routing_key]") are counted by the routing key at their end, so their
  cost grows with the number of entries (bounded by the workers' prefetch for unacked).

  KEYS[1] unacked        (hash: delivery_tag -> '[envelope, exchange, routing_key]')
  KEYS[2] delayed zset   (celeriac extra key, same entries)
  KEYS[3..] per queue, ARGV[1] band lists of the queue, then the list of its dead-letter
            queue (dead letters are published at priority 0: one list)
  ARGV[1] number of priority bands
  ARGV[2..] queue names, in the order of KEYS
  Returns, per queue, six fields: ready, unacked, delayed, dead letters, the send time (epoch
  ms, `x-celeriac-sent-at` header) of the oldest ready message or -1, and, when that message
  has no send time, its task id ('' otherwise).
]]
local bands = tonumber(ARGV[1])

-- Entries of a hash / zset counted by the routing key ending them.
local function byRoute(entries)
  local counts = {}
  for _, entry in ipairs(entries) do
    local route = string.match(entry, '"([^"]*)"%s*%]%s*$')
    if route then counts[route] = (counts[route] or 0) + 1 end
  end
  return counts
end

-- The send-time header of an envelope. A plain find is exact: inside a JSON string a quote is
-- escaped, so '"x-celeriac-sent-at":' (quote right before the colon) only matches the key.
local SENT_AT = '"x-celeriac-sent-at":'
local function sentAt(raw)
  local _, last = string.find(raw, SENT_AT, 1, true)
  if not last then return nil end
  return string.match(raw, '^%s*(%d+)', last + 1)
end

local unacked = byRoute(redis.call('HVALS', KEYS[1]))
local delayed = byRoute(redis.call('ZRANGE', KEYS[2], 0, -1))
local out = {}
local key = 3
for q = 2, #ARGV do
  local queue = ARGV[q]
  local ready, dead = 0, 0
  local oldest, headId = -1, ''
  for _ = 1, bands do
    local list = KEYS[key]
    key = key + 1
    local length = redis.call('LLEN', list)
    ready = ready + length
    if length > 0 then
      -- Consumers pop from the right: the tail is the band's oldest message.
      local raw = redis.call('LINDEX', list, -1)
      local at = sentAt(raw)
      if at then
        at = tonumber(at)
        if oldest < 0 or at < oldest then oldest = at end
      elseif headId == '' then
        headId = string.match(raw, '"id":%s*"([^"]+)"') or ''
      end
    end
  end
  dead = redis.call('LLEN', KEYS[key])
  key = key + 1
  if oldest >= 0 then headId = '' end
  local n = #out
  out[n + 1] = ready
  out[n + 2] = unacked[queue] or 0
  out[n + 3] = delayed[queue] or 0
  out[n + 4] = dead
  out[n + 5] = tostring(oldest)
  out[n + 6] = headId
end
return out
