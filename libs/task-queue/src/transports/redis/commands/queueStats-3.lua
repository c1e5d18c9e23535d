--[[
  Statistics of many queues in one atomic call (metrics scrapes, docs/metrics-and-health.md):
  per queue, the ready messages of every priority band, the unacked deliveries and parked
  (ETA) entries routed to it, its dead letters, and its oldest ready message.

  The unacked hash is shared by all queues (and written by Python workers too): its entries
  ("[envelope, exchange, routing_key]") are counted by the routing key at their end, so its
  cost grows with the number of entries (bounded by the workers' prefetch). Parked entries are
  counted from the parked-counts hash (includes/parked-counts.lua), one entry per queue with
  parked messages; it is rebuilt from the delayed zset only when its sum is not the zset's size.

  KEYS[1] unacked        (hash: delivery_tag -> '[envelope, exchange, routing_key]')
  KEYS[2] delayed zset   (celeriac extra key, same entries)
  KEYS[3] parked counts  (celeriac extra key, hash: routing key -> entries in KEYS[2])
  ARGV[1..4] routing (see includes/routing.lua). Each queue's band lists, and the list of its
          dead-letter queue `<queue>.dlq` (named as worker/dead-letters.ts does; dead letters
          are published at priority 0: one list), are named here as kombu names them rather
          than passed as keys: 100 queues would make a request of 600 arguments (34 KB) to
          encode and parse at every scrape, against 105
  ARGV[5..n-1] queue names
  ARGV[n] now, epoch ms: parked entries due by then count as ready, not delayed (with no
          consumer running, nothing promotes them; at most MAX_DUE are read)
  Returns, per queue, one string of six comma-separated fields (one reply string per queue,
  not six: the client decodes a sixth of the elements): ready, unacked, delayed, dead letters,
  the send time (epoch ms, `x-celeriac-sent-at` header) of the oldest ready message or -1,
  and, when that message has no send time, its task id ('' otherwise; last, as it may hold a
  comma). LINDEX copies the whole message into the script (1 MB messages at the head of 100
  queues held Redis for about 220 ms per call), so a queue whose next message in a band is
  over MAX_PEEK_BYTES has an unknown oldest message (-1, ''), and from the first such message
  on, a call checks each band's size (MEMORY USAGE) before peeking: at most one large message
  is copied per call. The check is not made before that: it is a third of the calls to Redis
  of a scrape whose messages are all small (the usual case).
]]
--- @include "routing"
--- @include "entry-route"
local MAX_PEEK_BYTES = 65536
-- Set once a peeked message was over MAX_PEEK_BYTES: later bands are checked first.
local guarded = false

-- True when the messages of `list` (`length` of them) are small enough to peek at. MEMORY USAGE
-- estimates from one node; where the command is unavailable, every band is peeked.
local function peekable(list, length)
  local usage = redis.pcall('MEMORY', 'USAGE', list, 'SAMPLES', '1')
  return type(usage) ~= 'number' or usage <= MAX_PEEK_BYTES * length
end

-- Entries of a hash / zset counted by the routing key ending them.
local function byRoute(entries)
  local counts = {}
  for _, entry in ipairs(entries) do
    local route = entryRoute(entry)
    counts[route] = (counts[route] or 0) + 1
  end
  return counts
end

-- The send-time header of an envelope: the first '"x-celeriac-sent-at":'. A plain find is
-- exact: inside a JSON string a quote is escaped, so a quote right before the colon only ends
-- a key. Found by its 'x' (a plain find skips to each occurrence of the first character): a
-- message's JSON has dozens of quotes before its headers' last key, and few x.
local SENT_AT = 'x-celeriac-sent-at":'
local function sentAt(raw)
  local first, last = string.find(raw, SENT_AT, 2, true)
  while first and string.byte(raw, first - 1) ~= 34 do
    first, last = string.find(raw, SENT_AT, last + 1, true)
  end
  if not last then return nil end
  return string.match(raw, '^%s*(%d+)', last + 1)
end

-- Parked entries by queue: the counts hash, rebuilt when it does not add up to the zset.
local function parkedByRoute()
  local flat = redis.call('HGETALL', KEYS[3])
  local counts, sum = {}, 0
  for i = 1, #flat, 2 do
    local n = tonumber(flat[i + 1])
    counts[flat[i]] = n
    sum = sum + n
  end
  if sum == redis.call('ZCARD', KEYS[2]) then return counts end
  counts = byRoute(redis.call('ZRANGE', KEYS[2], 0, -1))
  redis.call('DEL', KEYS[3])
  for route, n in pairs(counts) do redis.call('HSET', KEYS[3], route, n) end
  return counts
end

local unacked = byRoute(redis.call('HVALS', KEYS[1]))
local delayed = parkedByRoute()
-- Due parked entries not promoted yet (none while a consumer runs: it promotes them), by
-- queue, with the due time of the earliest: ready work, which an autoscaler must see.
local MAX_DUE = 1000
local due, dueSince = {}, {}
local dueEntries = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[#ARGV], 'WITHSCORES',
  'LIMIT', 0, MAX_DUE)
for i = 1, #dueEntries, 2 do
  local route = entryRoute(dueEntries[i])
  due[route] = (due[route] or 0) + 1
  dueSince[route] = dueSince[route] or tonumber(dueEntries[i + 1])
end
local out = {}
for q = 5, #ARGV - 1 do
  local queue = ARGV[q]
  local ready, dead = 0, 0
  local oldest, headId, unknown = -1, '', false
  for _, band in ipairs(ROUTE_STEPS) do
    local list = routeListKey(queue, band)
    local length = redis.call('LLEN', list)
    ready = ready + length
    if length > 0 and not unknown and guarded and not peekable(list, length) then
      unknown = true
    end
    if length > 0 and not unknown then
      -- Consumers pop from the right: the tail is the band's oldest message.
      local raw = redis.call('LINDEX', list, -1)
      if #raw > MAX_PEEK_BYTES then
        unknown, guarded = true, true
      else
        local at = sentAt(raw)
        if at then
          at = tonumber(at)
          if oldest < 0 or at < oldest then oldest = at end
        elseif headId == '' then
          headId = string.match(raw, '"id":%s*"([^"]+)"') or ''
        end
      end
    end
  end
  dead = redis.call('LLEN', routeListKey(queue .. '.dlq', 0))
  if unknown then oldest, headId = -1, '' end
  local dueHere = due[queue] or 0
  if dueHere > 0 then
    ready = ready + dueHere
    local since = dueSince[queue]
    if not unknown and (oldest < 0 or since < oldest) then oldest = since end
  end
  if oldest >= 0 then headId = '' end
  local parked = math.max(0, (delayed[queue] or 0) - dueHere)
  out[#out + 1] = table.concat(
    { ready, unacked[queue] or 0, parked, dead, tostring(oldest), headId }, ',')
end
return out
