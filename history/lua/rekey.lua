-- The key-rotation pass, at one sender. Prelude: prelude.lua, prelude_facts.lua,
-- prelude_writes.lua. ARGV: the common ones (6: the recipient's short names, the first key's
-- first, then the older keys'). Reply: how many of the older names had data here, now moved to
-- the first (rekey()). TTLs are left as they are: nothing new is recorded.

pair = short(sub(ARGV[6], 1, 16))
local moved = 0
for i = 1, #olds do
  if rekey(olds[i]) then moved = moved + 1 end
end
return moved
