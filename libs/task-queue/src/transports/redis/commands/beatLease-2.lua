--[[
  Beat leader lease with a fencing token: take the lease when free (or expired), or extend it
  when the caller already holds it. Each take draws a new, larger token from the fence counter,
  so a leader that lost the lease (paused, partitioned) holds a token no claim accepts.

  KEYS[1] lease key (value "<owner>|<token>", expires with the lease)
  KEYS[2] fence counter
  ARGV[1] owner id (unique per beat instance)
  ARGV[2] lease time, ms
  Returns the token held, or nil when another owner holds the lease.
]]
local current = redis.call('GET', KEYS[1])
if current then
  local owner, token = string.match(current, '^(.*)|(%d+)$')
  if owner == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(token)
  end
  return nil
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'PX', ARGV[2])
return token
