--[[
  Reliable batch fetch: pop up to N envelopes from the priority lists, in the order given, and
  record each in kombu's ack-emulation keys in the same atomic step, so a consumer killed at
  any instant loses nothing (kombu's restore brings the entries back).

  KEYS[1] unacked        (hash: delivery_tag -> '[envelope, exchange, routing_key]')
  KEYS[2] unacked_index  (zset: delivery_tag -> Unix seconds of delivery)
  ARGV[1] now, Unix seconds (float, as kombu writes)
  ARGV[2] maximum number of messages to take
  ARGV[3] list that receives unreadable entries (celeriac extra key)
  ARGV[4..] pairs: list key, queue name (priority step major, queue minor, like kombu's BRPOP)
  Returns a flat array of triples {pair index (1-based), delivery_tag, envelope}; an unreadable
  entry comes back with an empty tag after it was moved to the invalid list.
]]
--- @include "json-text"
local now = ARGV[1]
local limit = tonumber(ARGV[2])
local out = {}
local taken = 0
local pair = 0
for i = 4, #ARGV, 2 do
  pair = pair + 1
  if taken >= limit then break end
  local popped = redis.call('RPOP', ARGV[i], limit - taken)
  if popped then
    for _, raw in ipairs(popped) do
      taken = taken + 1
      local ok, env = pcall(cjson.decode, raw)
      if not ok or type(env) ~= 'table' or type(env['properties']) ~= 'table' then
        redis.call('LPUSH', ARGV[3], raw)
        redis.call('LTRIM', ARGV[3], 0, 999)
        table.insert(out, pair)
        table.insert(out, '')
        table.insert(out, raw)
      else
        local props = env['properties']
        local exchange, routingKey = '', ARGV[i + 1]
        local info = props['delivery_info']
        if type(info) == 'table' then
          if type(info['exchange']) == 'string' then exchange = info['exchange'] end
          if type(info['routing_key']) == 'string' then routingKey = info['routing_key'] end
        end
        local tag = props['delivery_tag']
        if type(tag) ~= 'string' or tag == '' then
          -- A hand-made envelope without a tag: derive a uuid-shaped one and write it in.
          local h = redis.sha1hex(raw .. now .. taken)
          tag = string.sub(h, 1, 8) .. '-' .. string.sub(h, 9, 12) .. '-4' .. string.sub(h, 14, 16)
            .. '-a' .. string.sub(h, 18, 20) .. '-' .. string.sub(h, 21, 32)
          local o = jsonFindObject(raw, string.find(raw, '{', 1, true), { 'properties' })
          if o then raw = jsonApply(raw, { jsonSetPatch(raw, o, 'delivery_tag', cjson.encode(tag)) }) end
        end
        local entry = '[' .. raw .. ', ' .. cjson.encode(exchange) .. ', ' .. cjson.encode(routingKey) .. ']'
        redis.call('HSET', KEYS[1], tag, entry)
        redis.call('ZADD', KEYS[2], now, tag)
        table.insert(out, pair)
        table.insert(out, tag)
        table.insert(out, raw)
      end
    end
  end
end
return out
