--[[
  GET + DEL + ZREM in one step, so an MFA enrollment (or a temporary grant) is completed or cleaned up by
  exactly one caller.

  KEYS[1] record key (MFA enrollment or temporary grant)
  KEYS[2] its index (sorted set, scored by time)
  ARGV[1] record id

  Returns: the value that was stored, or false (nil) when it was already gone
]]
local raw = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if not raw then return false end
return raw
