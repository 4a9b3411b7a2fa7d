--[[
  pending -> expired for one request whose expiresAt has passed; the sweeper calls it per due id so a
  click racing the sweep either approves or expires, never both.

  KEYS[1] request key (JSON PendingRequest)
  KEYS[2] pending index (sorted set)
  ARGV[1] request id
  ARGV[2] now, epoch ms
  ARGV[3] now, ISO-8601

  Returns: the updated request JSON when moved, false (nil) otherwise
]]
local raw = redis.call('GET', KEYS[1])
if not raw then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return false
end
local req = cjson.decode(raw)
if req.status ~= 'pending' then
  redis.call('ZREM', KEYS[2], ARGV[1])
  return false
end
if tonumber(ARGV[2]) < tonumber(req.expiresAtMs) then return false end
req.status = 'expired'
req.decidedBy = 'system'
req.decidedAt = ARGV[3]
req.outcome = 'expired before enough approvals'
redis.call('SET', KEYS[1], cjson.encode(req), 'KEEPTTL')
redis.call('ZREM', KEYS[2], ARGV[1])
return cjson.encode(req)
