--[[
  kombu's _purge: empty every priority list of a queue. The list keys come in ARGV because
  their number depends on the priority steps.

  ARGV[1..] the queue's priority list keys
  Returns the number of messages removed.
]]
local removed = 0
for i = 1, #ARGV do
  removed = removed + redis.call('LLEN', ARGV[i])
  redis.call('DEL', ARGV[i])
end
return removed
