--[[
  Beat leader lease: give it up, only if the caller still holds it (same owner and token).

  KEYS[1] lease key
  ARGV[1] "<owner>|<token>"
  Returns 1 when released, else 0.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
