--[[
  Claims one active grant for an immediate revoke ("I'm done", admin revoke), whatever its expiry.

  KEYS[1] grant record (JSON Grant)
  KEYS[2] due index (sorted set: grant id scored by expiry ms)
  KEYS[3] notice index (sorted set: grant id scored by notice ms)
  ARGV[1] grant id

  Returns: the grant JSON now in 'revoking', or nil when it is not active (already revoked or being revoked)
]]
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then
  return nil
end
redis.call('ZREM', KEYS[3], ARGV[1])
local json = redis.call('GET', KEYS[1])
if not json then
  return nil
end
local g = cjson.decode(json)
g.status = 'revoking'
json = cjson.encode(g)
redis.call('SET', KEYS[1], json)
return json
