--[[
  Sets an access-review item's reviewer (at launch, and on escalation) unless it is decided: checked and
  written in one step, so an assignment never overwrites a decision taken a moment before. Keeps the
  reviewers' indexes right (out of the old reviewer's, into the new one's).

  KEYS[1] item key (JSON ReviewItem)
  ARGV[1] the store's review key prefix (`<prefix>rev:`): a reviewer's index is `cr:<campaignId>:<reviewer>`
  ARGV[2] reviewer Slack user id
  ARGV[3] reviewer source (manager, fallback, reassigned, escalated)
  ARGV[4] "1" to record ARGV[5] as the item's ownerSlackId, "0" to leave it
  ARGV[5] owner Slack user id

  Returns: 1 when the item changed, 0 when it is missing or decided
]]
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local item = cjson.decode(raw)
if item.decision ~= nil and item.decision ~= cjson.null then return 0 end
local index = ARGV[1] .. 'cr:' .. item.campaignId .. ':'
if type(item.reviewer) == 'string' then redis.call('ZREM', index .. item.reviewer, item.id) end
item.reviewer = ARGV[2]
item.reviewerSource = ARGV[3]
if ARGV[4] == '1' then item.ownerSlackId = ARGV[5] end
redis.call('SET', KEYS[1], cjson.encode(item))
redis.call('ZADD', index .. ARGV[2], item.seq, item.id)
return 1
