-- Release. Prelude: prelude.lua, prelude_facts.lua, prelude_writes.lua.
-- ARGV 11 reason. Reply: facts. The Lua copy of JailRecord::Release (history/standing.h).

local h = prune(nil)
if restriction_active(call('HMGET', KEYS[4], 'o', 'rs', 're')) then
  call('HSET', KEYS[4], 're', int(now))
end
call('HSET', KEYS[4], 'cs', int(now), 'why', ARGV[11])
touch()
return facts(h)
