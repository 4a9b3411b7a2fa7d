--[[
  Creates a grant, or merges it into the active grant with the same id (same account, user, kind, target):
  the later expiry wins and approvers are united, so overlapping requests never stack two memberships.

  KEYS[1] grant record (JSON Grant)
  KEYS[2] due index (sorted set: grant id scored by expiry ms)
  KEYS[3] notice index (sorted set: grant id scored by notice ms)
  ARGV[1] new grant JSON
  ARGV[2] expiry, epoch ms
  ARGV[3] notify-before, ms
  ARGV[4] grant id

  Returns: the stored grant JSON, or the error "REVOKING" when the grant is being revoked right now
]]
local current = redis.call('GET', KEYS[1])
local incoming = cjson.decode(ARGV[1])
local expiry = tonumber(ARGV[2])
if current then
  local old = cjson.decode(current)
  if old.status == 'revoking' then
    return redis.error_reply('REVOKING')
  end
  if old.status == 'active' then
    local oldExpiry = redis.call('ZSCORE', KEYS[2], ARGV[4])
    if oldExpiry and tonumber(oldExpiry) > expiry then
      expiry = tonumber(oldExpiry)
      incoming.expiresAt = old.expiresAt
    end
    incoming.createdAt = old.createdAt
    local seen = {}
    local merged = {}
    for _, list in ipairs({ old.approvers or {}, incoming.approvers or {} }) do
      for _, a in ipairs(list) do
        if not seen[a] then
          seen[a] = true
          table.insert(merged, a)
        end
      end
    end
    incoming.approvers = merged
    incoming.breakGlass = old.breakGlass or incoming.breakGlass
    -- Where the bot posted about the grant stays known across an extension (grant-messages-1.lua).
    if type(old.messages) == 'table' and #old.messages > 0 then
      local all = {}
      for _, m in ipairs(old.messages) do table.insert(all, m) end
      if type(incoming.messages) == 'table' then
        for _, m in ipairs(incoming.messages) do table.insert(all, m) end
      end
      incoming.messages = all
    end
  end
end
incoming.status = 'active'
local json = cjson.encode(incoming)
redis.call('SET', KEYS[1], json)
redis.call('ZADD', KEYS[2], expiry, ARGV[4])
redis.call('ZADD', KEYS[3], expiry - tonumber(ARGV[3]), ARGV[4])
return json
