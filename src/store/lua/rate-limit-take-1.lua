--[[
  Takes one unit of a fixed-window allowance (e.g. break-glass uses per user per day).

  KEYS[1] counter
  ARGV[1] limit
  ARGV[2] window TTL, seconds

  Returns: 1 when taken, 0 when the limit is already reached (the counter is left unchanged)
]]
local n = redis.call('INCR', KEYS[1])
if n == 1 then
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
end
if n > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 0
end
return 1
