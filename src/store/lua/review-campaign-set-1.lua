--[[
  Changes an access-review campaign: a compare-and-set of its status with a patch applied in the same step
  (so of two replicas closing it, one moves it and writes the report), or a patch alone.

  KEYS[1] campaign key (JSON ReviewCampaign)
  ARGV[1] the status it must have, or "" for any
  ARGV[2] the new status, or "" to keep it
  ARGV[3] patch JSON: each field replaces the campaign's; a null removes it

  Returns: 1 when written, 0 when the campaign is missing or not in the ARGV[1] status
]]
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local c = cjson.decode(raw)
if ARGV[1] ~= '' and c.status ~= ARGV[1] then return 0 end
for k, v in pairs(cjson.decode(ARGV[3])) do
  if v == cjson.null then c[k] = nil else c[k] = v end
end
if ARGV[2] ~= '' then c.status = ARGV[2] end
redis.call('SET', KEYS[1], cjson.encode(c))
return 1
