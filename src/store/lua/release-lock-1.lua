--[[
  Releases a lease only if we still hold it, so a run that outlived its TTL cannot free another
  replica's lock.

  KEYS[1] lock key
  ARGV[1] the token returned when it was acquired

  Returns: 1 when released, 0 when the lock was gone or held by someone else
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
