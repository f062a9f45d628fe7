-- Forget a member as the recipient of one sender: no prelude. KEYS: the sender's (h, t, r,
-- state, x, n: n names no recipient and stays). ARGV 1: the recipient key's short names (16 hex
-- digits each), one per configured HMAC key (a key rotation: the member's data may be under any
-- of them). Reply: records removed.
--
-- What the sender holds about the pair goes: the pending mark and the cool-down (fields and
-- flag bits, with their index entries in t), the recipient's entry in x. What the sender's
-- standing counts stays, without the identity: each invitation record keeps its flags and time
-- but its recipient becomes ANON (so the volume and acceptance counts do not change), and a
-- reporter entry is renamed to an anonymous member with the same score (so the reports in the
-- window, and any restriction they started, do not change). Each of them counts as removed.

local call, sub = redis.call, string.sub
local names, is_name = {}, {}
for i = 1, #ARGV[1], 16 do
  local hex = sub(ARGV[1], i, i + 15)
  local name = struct.pack('>I4I4', tonumber(sub(hex, 1, 8), 16), tonumber(sub(hex, 9, 16), 16))
  names[#names + 1] = name
  is_name[name] = true
end
local ANON = string.rep('\0', 8)
local MARK = 16
local removed = 0
local set, dead = {}, {'c'}  -- "c": its filter holds first bytes of marked pairs
local all = call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local field, value = all[i], all[i + 1]
  if #value == 15 and is_name[sub(value, 8)] then
    local flags = string.byte(value)
    if flags >= MARK then flags = flags - MARK end
    set[#set + 1] = field
    set[#set + 1] = string.char(flags) .. sub(value, 2, 7) .. ANON
  elseif #field == 9 and (sub(field, 1, 1) == 'p' or sub(field, 1, 1) == 'w') and
      is_name[sub(field, 2)] then
    dead[#dead + 1] = field
  end
end
for i = 1, #set, 1000 do call('HSET', KEYS[1], unpack(set, i, math.min(i + 999, #set))) end
removed = removed + #set / 2 + #dead - 1
call('HDEL', KEYS[1], unpack(dead))
for _, pair in ipairs(names) do
  call('ZREM', KEYS[2], 'w' .. pair)
  local score = call('ZSCORE', KEYS[3], pair)
  if score then
    -- An anonymous member: "~" and a number no other member of r has.
    local n = call('ZCARD', KEYS[3])
    while call('ZSCORE', KEYS[3], '~' .. n) do n = n + 1 end
    call('ZREM', KEYS[3], pair)
    call('ZADD', KEYS[3], score, '~' .. n)
    removed = removed + 1
  end
  call('ZREM', KEYS[5], pair)
end
return removed
