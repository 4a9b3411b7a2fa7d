--[[
  Claims the grants whose expiry has passed, moving each to 'revoking'. Atomic, so when several replicas run
  the revoke job at once every grant is handed to exactly one of them.

  KEYS[1] due index (sorted set: grant id scored by expiry ms)
  KEYS[2] notice index (sorted set: grant id scored by notice ms)
  ARGV[1] now, epoch ms
  ARGV[2] max grants to claim
  ARGV[3] key prefix of grant records ("<prefix>grant:")

  Returns: array of the claimed grants' JSON, now in 'revoking' (empty when none is due)
]]
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  if redis.call('ZREM', KEYS[1], id) == 1 then
    redis.call('ZREM', KEYS[2], id)
    local key = ARGV[3] .. id
    local json = redis.call('GET', key)
    if json then
      local g = cjson.decode(json)
      g.status = 'revoking'
      json = cjson.encode(g)
      redis.call('SET', key, json)
      table.insert(out, json)
    end
  end
end
return out
