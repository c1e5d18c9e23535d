--[[
  JSON text surgery without re-encoding.

  Redis' cjson turns `[]` into `{}` and rounds integers above 1e14, so an envelope decoded and
  re-encoded in Lua would no longer be byte-compatible with what Python (or we) wrote. These
  helpers locate members in the original text and patch it in place; cjson is used for reading
  only.
]]

-- Index of the closing quote of the JSON string that opens at `i`.
local function jsonSkipString(s, i)
  local j = i + 1
  while true do
    local q = string.find(s, '["\\]', j)
    if not q then return nil end
    if string.byte(s, q) == 92 then j = q + 2 else return q end
  end
end

-- Index of the last character of the JSON value that starts at `i`.
local function jsonSkipValue(s, i)
  local c = string.byte(s, i)
  if c == 34 then return jsonSkipString(s, i) end
  if c == 123 or c == 91 then
    local depth, j = 0, i
    while true do
      local p = string.find(s, '[{}%[%]"]', j)
      if not p then return nil end
      local b = string.byte(s, p)
      if b == 34 then
        p = jsonSkipString(s, p)
        if not p then return nil end
      elseif b == 123 or b == 91 then
        depth = depth + 1
      else
        depth = depth - 1
        if depth == 0 then return p end
      end
      j = p + 1
    end
  end
  local p = string.find(s, '[,}%]]', i)
  if not p then return string.len(s) end
  return p - 1
end

-- Start index of the value of member `key` in the object whose `{` is at `o`, or nil.
local function jsonFindMember(s, o, key)
  local j = o + 1
  while true do
    j = string.find(s, '[^%s,]', j)
    if not j or string.byte(s, j) ~= 34 then return nil end
    local ke = jsonSkipString(s, j)
    if not ke then return nil end
    local colon = string.find(s, ':', ke + 1, true)
    if not colon then return nil end
    local v = string.find(s, '[^%s]', colon + 1)
    if not v then return nil end
    if string.sub(s, j + 1, ke - 1) == key then return v end
    local ve = jsonSkipValue(s, v)
    if not ve then return nil end
    j = ve + 1
  end
end

-- Start index of the object found by following `path` (member names) from the object at `o`.
local function jsonFindObject(s, o, path)
  local at = o
  for _, key in ipairs(path) do
    at = jsonFindMember(s, at, key)
    if not at or string.byte(s, at) ~= 123 then return nil end
  end
  return at
end

-- A patch that sets member `key` to the literal `value` in the object at `o` (nil: nothing to do).
local function jsonSetPatch(s, o, key, value)
  local v = jsonFindMember(s, o, key)
  if v then
    local ve = jsonSkipValue(s, v)
    if string.sub(s, v, ve) == value then return nil end
    return { from = v, to = ve, text = value }
  end
  local first = string.find(s, '[^%s]', o + 1)
  local sep = ', '
  if first and string.byte(s, first) == 125 then sep = '' end
  return { from = o + 1, to = o, text = cjson.encode(key) .. ': ' .. value .. sep }
end

-- Apply patches (non-overlapping) from the last to the first.
local function jsonApply(s, patches)
  table.sort(patches, function(a, b) return a.from > b.from end)
  for _, p in ipairs(patches) do
    s = string.sub(s, 1, p.from - 1) .. p.text .. string.sub(s, p.to + 1)
  end
  return s
end

-- kombu's restore: headers.redelivered = true and properties.delivery_info.redelivered = true.
local function markRedelivered(envelope)
  local o = string.find(envelope, '{', 1, true)
  if not o then return envelope end
  local patches = {}
  for _, path in ipairs({ { 'headers' }, { 'properties', 'delivery_info' } }) do
    local at = jsonFindObject(envelope, o, path)
    if at then
      local patch = jsonSetPatch(envelope, at, 'redelivered', 'true')
      if patch then table.insert(patches, patch) end
    end
  end
  return jsonApply(envelope, patches)
end

-- The envelope text inside an unacked entry `[<envelope>, "<exchange>", "<routing_key>"]`.
local function tripleEnvelope(triple)
  local o = string.find(triple, '[', 1, true)
  if not o then return nil end
  local v = string.find(triple, '[^%s]', o + 1)
  if not v then return nil end
  local ve = jsonSkipValue(triple, v)
  if not ve then return nil end
  return string.sub(triple, v, ve)
end
