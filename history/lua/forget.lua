-- Forget a member as a sender: no prelude. KEYS: the sender's (h, t, r, state, x, n). Reply
-- {records removed, R...}: the fields of h (invitation records, pending marks, withdrawals;
-- not its "c" and "m"), the reporter entries, 1 for the restriction state; then the short names
-- of the recipients whose index may name the sender (those of x, h and r), which the store
-- then removes the sender from. UNLINK frees a big sender's keys off Redis's main thread.

local call, sub = redis.call, string.sub
local ANON = string.rep('\0', 8)  -- the recipient of a record whose recipient was forgotten
local removed = 0
local seen, recipients = {}, {}
local function add(r)
  if #r == 8 and r ~= ANON and not seen[r] then
    seen[r] = true
    recipients[#recipients + 1] = r
  end
end
local all = call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local field, value = all[i], all[i + 1]
  if field ~= 'c' and field ~= 'm' then removed = removed + 1 end
  if #value == 15 then
    add(sub(value, 8))
  elseif #field == 9 then  -- "p" R, "w" R
    add(sub(field, 2))
  end
end
for _, r in ipairs(call('ZRANGE', KEYS[3], 0, -1)) do
  removed = removed + 1
  add(r)
end
removed = removed + call('EXISTS', KEYS[4])
for _, r in ipairs(call('ZRANGE', KEYS[5], 0, -1)) do add(r) end
call('UNLINK', unpack(KEYS))
local reply = {removed}
for i = 1, #recipients do reply[i + 1] = recipients[i] end
return reply
