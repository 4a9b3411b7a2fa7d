--[[
  Records where the approval message lives, without clobbering a concurrent transition (a read-modify-write
  in JS could overwrite an approval that landed in between).

  KEYS[1] request key (JSON PendingRequest)
  ARGV[1] channel id
  ARGV[2] message ts

  Returns: 1 when set, 0 when the request is missing
]]
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local req = cjson.decode(raw)
req.message = { channel = ARGV[1], ts = ARGV[2] }
redis.call('SET', KEYS[1], cjson.encode(req), 'KEEPTTL')
return 1
