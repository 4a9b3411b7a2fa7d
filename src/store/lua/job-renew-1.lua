--[[
  Extends a job run's lease while the run lasts, only if it is still ours.

  KEYS[1] jobrun:<name>:lease
  ARGV[1] our token
  ARGV[2] lease ms

  Returns: 1 when extended, 0 when the lease lapsed or another run holds it
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
