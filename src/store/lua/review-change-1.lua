--[[
  Records a decision on an access-review item, or moves it to another reviewer, exactly once: the same rule
  as changeRefusal (src/core/review/rules.ts), checked and applied in one step, so a double click or a
  second replica gets "decided" (or "not-reviewer") with the item instead of a second write.

  KEYS[1] item key (JSON ReviewItem)
  ARGV[1] the store's review key prefix (`<prefix>rev:`): the campaign is `c:<campaignId>`, a reviewer's
          index `cr:<campaignId>:<reviewer>` (sorted set of item ids by seq); both follow from the item
  ARGV[2] "decide" or "reassign"
  ARGV[3] the actor's Slack user id (the decision's or the reassignment's `by`)
  ARGV[4] decide: the decision JSON; reassign: JSON {to, by, at, reason}

  Returns: {"ok", item JSON} or {refusal, item JSON} with refusal one of "missing" (item JSON only when the
  item exists), "closed", "decided", "self", "not-reviewer"
]]
local function present(v) return v ~= nil and v ~= cjson.null end

local raw = redis.call('GET', KEYS[1])
if not raw then return { 'missing' } end
local item = cjson.decode(raw)
local campaign = redis.call('GET', ARGV[1] .. 'c:' .. item.campaignId)
if not campaign then return { 'missing', raw } end
local by = ARGV[3]
if cjson.decode(campaign).status ~= 'open' then return { 'closed', raw } end
if present(item.decision) then return { 'decided', raw } end
if present(item.ownerSlackId) and item.ownerSlackId == by then return { 'self', raw } end
if item.reviewer ~= by then return { 'not-reviewer', raw } end

if ARGV[2] == 'decide' then
  item.decision = cjson.decode(ARGV[4])
else
  local r = cjson.decode(ARGV[4])
  if present(item.ownerSlackId) and item.ownerSlackId == r.to then return { 'self', raw } end
  r.from = item.reviewer
  local list = item.reassignments
  if type(list) ~= 'table' then list = {} end
  table.insert(list, r)
  item.reassignments = list
  item.reviewer = r.to
  item.reviewerSource = 'reassigned'
  local index = ARGV[1] .. 'cr:' .. item.campaignId .. ':'
  redis.call('ZREM', index .. by, item.id)
  redis.call('ZADD', index .. r.to, item.seq, item.id)
end
local json = cjson.encode(item)
redis.call('SET', KEYS[1], json)
return { 'ok', json }
