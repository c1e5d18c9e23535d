--[[
  Reliable batch fetch: pop up to N envelopes from the priority lists, in the order given, and
  record each in kombu's ack-emulation keys in the same atomic step, so a consumer killed at
  any instant loses nothing (kombu's restore brings the entries back).

  The unacked entry names the queue the envelope was taken from (exchange '', routing key =
  queue), so a restore, by kombu or by us, puts it back on that queue and never fans it out
  again through an exchange.

  Decoding every envelope with cjson was most of a fetch's cost. kombu and Celeriac both write
  `properties` last and `delivery_tag` last in it, so the tag is read from the envelope's tail;
  only an envelope shaped otherwise is decoded (and, when it has no tag, given one).

  KEYS[1] unacked        (hash: delivery_tag -> '[envelope, exchange, routing_key]')
  KEYS[2] unacked_index  (zset: delivery_tag -> Unix seconds of delivery)
  ARGV[1] now, Unix seconds (float, as kombu writes)
  ARGV[2] maximum number of messages to take
  ARGV[3] list that receives unreadable entries (celeriac extra key)
  ARGV[4..] pairs: list key, queue name (priority step major, queue minor, like kombu's BRPOP)
  Returns an array: first one string holding, for each entry, its pair index (1-based) and
  delivery_tag, each followed by a NUL byte; then the entries' envelopes, one bulk string each,
  in the same order. (One string of all the envelopes made Lua 5.1 copy them again and again
  while table.concat grew it: measured, that doubled the script's cost; three bulk strings per
  entry cost the client more.) An unreadable entry comes back with an empty tag after it was
  moved to the invalid list (NULs in it shown as \0). A list key that holds another type (a
  string, a hash: a name clash with other data) is skipped, so the other lists are still
  served: it comes back as one entry with a negative pair index, no tag and, in place of an
  envelope, the key's type.

  HSET and ZADD run once per fetch with every taken entry: one call per entry of each made up
  a third of the script's cost.
]]
--- @include "json-text"
--- @include "set-aside"
local now = ARGV[1]
local limit = tonumber(ARGV[2])
local head = {}
local envelopes = { '' }
local unacked, index = {}, {}
local n = 0
local kept = 0
local taken = 0
local pair = 0

-- The delivery tag of a kombu envelope, from its tail when it is where kombu writes it.
local function tailTag(raw)
  return string.match(string.sub(raw, -100), '"delivery_tag":%s*"([^"\\]+)"%s*}%s*}%s*$')
end

-- The delivery tag of an envelope shaped otherwise (nil: not an envelope); `raw` gains one
-- when it has none.
local function decodedTag(raw)
  local ok, env = pcall(cjson.decode, raw)
  if not ok or type(env) ~= 'table' or type(env['properties']) ~= 'table' then return nil, raw end
  local tag = env['properties']['delivery_tag']
  if type(tag) == 'string' and tag ~= '' then return tag, raw end
  -- A hand-made envelope without a tag: derive a uuid-shaped one and write it in.
  local h = redis.sha1hex(raw .. now .. taken)
  tag = string.sub(h, 1, 8) .. '-' .. string.sub(h, 9, 12) .. '-4' .. string.sub(h, 14, 16)
    .. '-a' .. string.sub(h, 18, 20) .. '-' .. string.sub(h, 21, 32)
  local o = jsonFindObject(raw, string.find(raw, '{', 1, true), { 'properties' })
  if o then raw = jsonApply(raw, { jsonSetPatch(raw, o, 'delivery_tag', cjson.encode(tag)) }) end
  return tag, raw
end

for i = 4, #ARGV, 2 do
  pair = pair + 1
  if taken >= limit then break end
  local popped = redis.pcall('RPOP', ARGV[i], limit - taken)
  if type(popped) == 'table' and popped.err then
    head[n + 1], head[n + 2] = -pair, ''
    n = n + 2
    envelopes[n / 2 + 1] = redis.call('TYPE', ARGV[i]).ok
  elseif popped then
    local route = ', "", ' .. cjson.encode(ARGV[i + 1]) .. ']'
    for _, raw in ipairs(popped) do
      taken = taken + 1
      local tag = tailTag(raw)
      if not tag then tag, raw = decodedTag(raw) end
      if tag and (string.find(raw, '\0', 1, true) or string.find(tag, '\0', 1, true)) then
        tag = nil
      end
      if tag then
        unacked[kept + 1], unacked[kept + 2] = tag, '[' .. raw .. route
        index[kept + 1], index[kept + 2] = now, tag
        kept = kept + 2
      else
        setAside(ARGV[3], raw)
        tag = ''
        raw = string.gsub(raw, '%z', '\\0')
      end
      head[n + 1], head[n + 2] = pair, tag
      n = n + 2
      envelopes[n / 2 + 1] = raw
    end
  end
end
-- In slices: Lua's unpack takes at most a few thousand values (batchSize has no upper bound).
for from = 1, kept, 1000 do
  local to = math.min(from + 999, kept)
  redis.call('HSET', KEYS[1], unpack(unacked, from, to))
  redis.call('ZADD', KEYS[2], unpack(index, from, to))
end
if n == 0 then return {} end
envelopes[1] = table.concat(head, '\0') .. '\0'
return envelopes
