--[[
  approving -> done | failed, once: only the replica that won the approval calls it, and a second call
  (a retry after a timeout) changes nothing.

  KEYS[1] request key (JSON PendingRequest)
  KEYS[2] approving index (sorted set)
  ARGV[1] new status: "done" | "failed"
  ARGV[2] outcome line (secret-free)
  ARGV[3] now, ISO-8601

  Returns: 1 when moved, 0 when the request was missing or not approving
]]
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local req = cjson.decode(raw)
if req.status ~= 'approving' then return 0 end
req.status = ARGV[1]
req.outcome = ARGV[2]
req.finishedAt = ARGV[3]
redis.call('SET', KEYS[1], cjson.encode(req), 'KEEPTTL')
redis.call('ZREM', KEYS[2], req.id)
return 1
