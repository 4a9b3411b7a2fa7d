-- Claims the grants whose pre-expiry notice is due, each exactly once across replicas.
-- KEYS[1] notice zset
-- ARGV[1] now ms   ARGV[2] max to claim   ARGV[3] key prefix of grant records
-- Returns the grants' JSON.
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
