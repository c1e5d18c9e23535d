--[[
  Beat: the leader's publish decision. If the caller's lease (owner and fencing token) is still
  the current one, advance each schedule whose revision is the one the leader planned from, and
  record its fires as pending (published next, confirmed after). All in one step: a leader
  that lost its lease advances nothing, and an edit made meanwhile (new revision) wins.

  KEYS[1] lease key
  KEYS[2] states hash
  KEYS[3] revisions hash
  KEYS[4] pending hash (task id -> pending fire JSON)
  ARGV[1] "<owner>|<token>" of the caller
  ARGV[2..] per claim: name, expected revision, new state JSON, number of fires n, then n pairs
           of (task id, pending fire JSON)
  Returns -1 when the lease is lost, else an array with 1 (applied) or 0 (stale) per claim.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
local applied = {}
local i = 2
while i <= #ARGV do
  local name, rev, state, n = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  i = i + 4
  if redis.call('HGET', KEYS[3], name) == rev then
    redis.call('HSET', KEYS[2], name, state)
    redis.call('HINCRBY', KEYS[3], name, 1)
    for j = 0, n - 1 do
      redis.call('HSET', KEYS[4], ARGV[i + 2 * j], ARGV[i + 2 * j + 1])
    end
    applied[#applied + 1] = 1
  else
    applied[#applied + 1] = 0
  end
  i = i + 2 * n
end
return applied
