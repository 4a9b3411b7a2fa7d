--[[
  pending -> denied, atomically with respect to approvals.

  KEYS[1] request key (JSON PendingRequest)
  KEYS[2] pending index (sorted set)
  ARGV[1] denier Slack user id
  ARGV[2] now, epoch ms
  ARGV[3] now, ISO-8601
  ARGV[4] outcome line (secret-free)

  Returns: JSON {"result": "denied"|"closed"|"expired"|"missing", "request": …}
]]
local raw = redis.call('GET', KEYS[1])
if not raw then return cjson.encode({ result = 'missing' }) end
local req = cjson.decode(raw)
if req.status ~= 'pending' then return cjson.encode({ result = 'closed', request = req }) end
local result = 'denied'
if tonumber(ARGV[2]) >= tonumber(req.expiresAtMs) then
  req.status = 'expired'
  req.decidedBy = 'system'
  req.outcome = 'expired before enough approvals'
  result = 'expired'
else
  req.status = 'denied'
  req.decidedBy = ARGV[1]
  req.outcome = ARGV[4]
end
req.decidedAt = ARGV[3]
redis.call('SET', KEYS[1], cjson.encode(req), 'KEEPTTL')
redis.call('ZREM', KEYS[2], req.id)
return cjson.encode({ result = result, request = req })
