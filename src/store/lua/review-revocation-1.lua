--[[
  Records where an access-review item's revocation stands, in place, so it never overwrites a change to the
  item made at the same moment.

  KEYS[1] item key (JSON ReviewItem)
  ARGV[1] revocation JSON

  Returns: 1 when written, 0 when the item is missing
]]
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local item = cjson.decode(raw)
item.revocation = cjson.decode(ARGV[1])
redis.call('SET', KEYS[1], cjson.encode(item))
return 1
