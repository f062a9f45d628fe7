-- RecordInvitation. Prelude: prelude.lua, prelude_facts.lua, prelude_writes.lua.
-- ARGV 11 invitation id's short name (hex), 12 sent_at, 13 the note's fingerprint (16 hex
-- digits; '': none), 14 the cap of fingerprints, 15 sender id, 16 index retention.
-- Reply {0 recorded | 1 duplicate, 0, facts[, pairs dropped from x (see track)]}.

-- Keeps the note fingerprint `hex` (16 hex digits) of an invitation sent at `sent_at` in n
-- (KEYS[6]; see near_notes in get_facts.lua): entries outside the volume window go, then
-- past `limit` entries the earliest recorded. n expires when its newest entry leaves the window.
local function remember_note(hex, sent_at, limit)
  if sent_at <= volume_floor then return end
  local notes = call('GET', KEYS[6]) or ''
  local kept, newest = {}, sent_at
  for i = 1, #notes - 13, 14 do
    local at = unpack6('>I6', notes, i + 8)
    if at > volume_floor then
      kept[#kept + 1] = sub(notes, i, i + 13)
      newest = math.max(newest, at)
    end
  end
  kept[#kept + 1] = struct.pack('>I4I4', tonumber(sub(hex, 1, 8), 16),
                                tonumber(sub(hex, 9, 16), 16)) .. t6(sent_at)
  local first = math.max(1, #kept - limit + 1)
  call('SET', KEYS[6], table.concat(kept, '', first), 'PX',
       int(newest + tonumber(ARGV[3]) - now))
end

pair = short(sub(ARGV[6], 1, 16))
migrate()
local invitation = short(ARGV[11])
local h = prune(invitation)
if (h and h.record) or (big and call('HEXISTS', KEYS[1], invitation) == 1) then
  return {1, 0, facts(h)}
end
local sent_at = math.min(tonumber(ARGV[12]), now)
-- The pair's pending mark moves to this invitation.
if big then
  call('HSET', KEYS[1], invitation, string.char(SENT) .. t6(sent_at) .. pair, 'p' .. pair,
       invitation)
  call('ZADD', KEYS[2], int(SENT_AT + sent_at), invitation)
  if asked then head[3] = invitation end
else
  if h.p then call('HDEL', KEYS[1], 'p' .. pair) end
  if sent_at > volume_floor then
    h.volume = h.volume + 1
    h.volume_min = math.min(h.volume_min, sent_at)
  end
  if sent_at > acceptance_floor then
    h.sent = h.sent + 1
    h.acceptance_min = math.min(h.acceptance_min, sent_at)
  end
  h.marked[#h.marked + 1] = sub(pair, 1, 1)
  h.pending = 1
  local fields = {invitation, string.char(SENT + MARK) .. t6(sent_at) .. pair, 'c', cache(h)}
  if h.mark then  -- the record that held the mark
    fields[5] = h.mark
    fields[6] = string.char(string.byte(h.mark_value) - MARK) .. sub(h.mark_value, 2)
  end
  call('HSET', KEYS[1], unpack(fields))
  grow()
end
cap()
touch()
if ARGV[13] ~= '' then remember_note(ARGV[13], sent_at, tonumber(ARGV[14])) end
local dropped = track(ARGV[15], ARGV[16], sent_at)
return {0, 0, facts(h), dropped}
