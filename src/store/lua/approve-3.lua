--[[
  Counts one approval; the approval that reaches the quorum moves the request pending -> approving.
  Atomic, so however many replicas and clicks race, exactly one caller ever sees "approved".

  KEYS[1] request key (JSON PendingRequest)
  KEYS[2] pending index (sorted set: request id scored by expiresAt ms)
  KEYS[3] approving index (sorted set: request id scored by when it started running), for stuck-run recovery
  ARGV[1] approver Slack user id
  ARGV[2] now, epoch ms
  ARGV[3] now, ISO-8601

  Returns: JSON {"result": "approved"|"counted"|"duplicate"|"closed"|"expired"|"missing", "request": …}
]]
local raw = redis.call('GET', KEYS[1])
if not raw then return cjson.encode({ result = 'missing' }) end
local req = cjson.decode(raw)
if req.status ~= 'pending' then return cjson.encode({ result = 'closed', request = req }) end
if tonumber(ARGV[2]) >= tonumber(req.expiresAtMs) then
  req.status = 'expired'
  req.decidedBy = 'system'
  req.decidedAt = ARGV[3]
  req.outcome = 'expired before enough approvals'
  redis.call('SET', KEYS[1], cjson.encode(req), 'KEEPTTL')
  redis.call('ZREM', KEYS[2], req.id)
  return cjson.encode({ result = 'expired', request = req })
end
local approvals = req.approvals
if type(approvals) ~= 'table' then approvals = {} end
for _, a in ipairs(approvals) do
  if a.user == ARGV[1] then return cjson.encode({ result = 'duplicate', request = req }) end
end
table.insert(approvals, { user = ARGV[1], at = ARGV[3] })
req.approvals = approvals
local result = 'counted'
if #approvals >= tonumber(req.approvalsNeeded) then
  req.status = 'approving'
  req.decidedBy = ARGV[1]
  req.decidedAt = ARGV[3]
  redis.call('ZREM', KEYS[2], req.id)
  redis.call('ZADD', KEYS[3], ARGV[2], req.id)
  result = 'approved'
end
redis.call('SET', KEYS[1], cjson.encode(req), 'KEEPTTL')
return cjson.encode({ result = result, request = req })
