--[[
  Store a batch of task results as Celery's Redis backend does (SETEX + PUBLISH on each key's
  name), unless a write would replace a final state: a stored SUCCESS is never rewritten
  (Celery's de-duplication in _store_result) and a stored FAILURE / REVOKED is never replaced
  by a non-ready state. An unreadable stored value, or a key of another type, is overwritten,
  so one bad key never fails the rest of the batch. One call carries up to PIPELINED_BATCH
  (tick-batcher.ts) of the results a worker finished in one event-loop turn.

  KEYS[i]        celery-task-meta-<task_id>
  ARGV[1]        expiry in seconds (0: no expiry, plain SET)
  ARGV[2i]       meta JSON of KEYS[i]
  ARGV[2i + 1]   '1' when that state is ready (SUCCESS, FAILURE, REVOKED), else '0'
  Returns how many were written and published (the others were skipped).
]]
local expires = tonumber(ARGV[1])
local written = 0
-- One MGET per 1,000 keys of the batch; a key of another type (a hash, a list) reads as missing there, and
-- is garbage too: SET replaces it. A key written earlier in this batch is read from `writes`.
local currents = {}
for from = 1, #KEYS, 1000 do
  local got = redis.call('MGET', unpack(KEYS, from, math.min(from + 999, #KEYS)))
  for i, value in ipairs(got) do currents[from + i - 1] = value end
end
local writes = {}
for i, key in ipairs(KEYS) do
  local meta, ready = ARGV[2 * i], ARGV[2 * i + 1]
  local keep = false
  local current = writes[key] or currents[i]
  if type(current) == 'string' then
    local ok, stored = pcall(cjson.decode, current)
    if ok and type(stored) == 'table' then
      local status = stored['status']
      keep = status == 'SUCCESS' or ((status == 'FAILURE' or status == 'REVOKED') and ready ~= '1')
    end
  end
  if not keep then
    if expires > 0 then
      redis.call('SETEX', key, expires, meta)
    else
      redis.call('SET', key, meta)
    end
    redis.call('PUBLISH', key, meta)
    writes[key] = meta
    written = written + 1
  end
end
return written
