--[[
  Claims the grants whose pre-expiry notice is due, each exactly once across replicas.

  KEYS[1] notice index (sorted set: grant id scored by notice ms)
  ARGV[1] now, epoch ms
  ARGV[2] max grants to claim
  ARGV[3] key prefix of grant records ("<prefix>grant:")

  Returns: array of the grants' JSON (empty when no notice is due)
]]
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  if redis.call('ZREM', KEYS[1], id) == 1 then
    local json = redis.call('GET', ARGV[3] .. id)
    if json then
      table.insert(out, json)
    end
  end
end
return out
