--[[
  kombu routing: priority bands, list keys and binding lookup. Every script that includes this
  file takes the same four leading ARGV entries:
    ARGV[1] kombu global_keyprefix ('' by default)
    ARGV[2] kombu sep ("\x06\x16")
    ARGV[3] priority steps, comma separated ("0,3,6,9")
    ARGV[4] key of the list that receives unreadable entries (celeriac extra key)
  Queue keys are derived from message content, so these scripts do not declare every key they
  touch: like kombu's Redis transport they do not support Redis Cluster.
]]
--- @include "json-text"
--- @include "set-aside"
local ROUTE_PREFIX = ARGV[1]
local ROUTE_SEP = ARGV[2]
local ROUTE_STEPS = {}
for step in string.gmatch(ARGV[3], '[^,]+') do table.insert(ROUTE_STEPS, tonumber(step)) end
local ROUTE_INVALID = ARGV[4]

-- kombu `priority()`: the largest step <= the clamped message priority.
local function routeBand(priority)
  local p = tonumber(priority) or 0
  p = math.floor(p)
  if p < 0 then p = 0 elseif p > 9 then p = 9 end
  local band = ROUTE_STEPS[#ROUTE_STEPS]
  for _, step in ipairs(ROUTE_STEPS) do
    if step <= p then band = step end
  end
  return band
end

-- kombu `_q_for_pri` plus global_keyprefix.
local function routeListKey(queue, band)
  if band == nil or band == 0 then return ROUTE_PREFIX .. queue end
  return ROUTE_PREFIX .. queue .. ROUTE_SEP .. band
end

-- kombu `_lookup`: '' exchange routes to the routing key; otherwise the direct bindings that
-- match, falling back to the routing key as the queue name.
local function routeQueues(exchange, routingKey)
  if exchange == nil or exchange == '' then return { routingKey } end
  local members = redis.call('SMEMBERS', ROUTE_PREFIX .. '_kombu.binding.' .. exchange)
  local queues = {}
  for _, member in ipairs(members) do
    local a = string.find(member, ROUTE_SEP, 1, true)
    if a then
      local b = string.find(member, ROUTE_SEP, a + string.len(ROUTE_SEP), true)
      if b and string.sub(member, 1, a - 1) == routingKey then
        table.insert(queues, string.sub(member, b + string.len(ROUTE_SEP)))
      end
    end
  end
  if #queues == 0 then return { routingKey } end
  return queues
end

-- Push an unacked-style entry `[envelope, exchange, routing_key]` back onto its queue(s).
-- `left`: LPUSH (back of the line) instead of RPUSH (served next). `redelivered`: set kombu's
-- flags. Unreadable entries go to the invalid list. Returns 1 when routed, 0 otherwise.
local function routeTriple(triple, left, redelivered)
  local ok, decoded = pcall(cjson.decode, triple)
  local envelope = tripleEnvelope(triple)
  if not ok or type(decoded) ~= 'table' or type(decoded[1]) ~= 'table' or not envelope then
    setAside(ROUTE_INVALID, triple)
    return 0
  end
  local exchange = decoded[2]
  local routingKey = decoded[3]
  if type(exchange) ~= 'string' then exchange = '' end
  if type(routingKey) ~= 'string' then routingKey = '' end
  local priority = 0
  local props = decoded[1]['properties']
  if type(props) == 'table' and type(props['priority']) == 'number' then priority = props['priority'] end
  if redelivered then envelope = markRedelivered(envelope) end
  local band = routeBand(priority)
  for _, queue in ipairs(routeQueues(exchange, routingKey)) do
    if left then
      redis.call('LPUSH', routeListKey(queue, band), envelope)
    else
      redis.call('RPUSH', routeListKey(queue, band), envelope)
    end
  end
  return 1
end
