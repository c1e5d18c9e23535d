--[[
  Store a task result as Celery's Redis backend does (SETEX + PUBLISH on the key's name),
  unless it would replace a final state: a stored SUCCESS is never rewritten (Celery's
  de-duplication in _store_result) and a stored FAILURE / REVOKED is never replaced by a
  non-ready state. An unreadable stored value is overwritten.

  KEYS[1] celery-task-meta-<task_id>
  ARGV[1] meta JSON
  ARGV[2] '1' when the new state is ready (SUCCESS, FAILURE, REVOKED), else '0'
  ARGV[3] expiry in seconds (0: no expiry, plain SET)
  Returns 1 when written and published, 0 when skipped.
]]
local current = redis.call('GET', KEYS[1])
if current then
  local ok, stored = pcall(cjson.decode, current)
  if ok and type(stored) == 'table' then
    local status = stored['status']
    if status == 'SUCCESS' then return 0 end
    if (status == 'FAILURE' or status == 'REVOKED') and ARGV[2] ~= '1' then return 0 end
  end
end
if tonumber(ARGV[3]) > 0 then
  redis.call('SETEX', KEYS[1], ARGV[3], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('PUBLISH', KEYS[1], ARGV[1])
return 1
