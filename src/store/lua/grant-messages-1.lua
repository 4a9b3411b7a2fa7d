--[[
  Records where the bot posted about a grant, without clobbering a concurrent claim or merge (a
  read-modify-write in JS could undo a status change that landed in between). Keeps the newest ARGV[2].

  KEYS[1] grant record (JSON Grant)
  ARGV[1] JSON array of { channel, ts }
  ARGV[2] how many messages to keep at most

  Returns: 1 when recorded, 0 when the grant is gone
]]
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local g = cjson.decode(raw)
local all = {}
if type(g.messages) == 'table' then
  for _, m in ipairs(g.messages) do table.insert(all, m) end
end
for _, m in ipairs(cjson.decode(ARGV[1])) do table.insert(all, m) end
local keep = tonumber(ARGV[2])
local out = {}
for i = math.max(1, #all - keep + 1), #all do table.insert(out, all[i]) end
g.messages = out
redis.call('SET', KEYS[1], cjson.encode(g), 'KEEPTTL')
return 1
