-- RecordResponse. Prelude: prelude.lua, prelude_facts.lua, prelude_writes.lua.
-- ARGV 11 invitation id's short name (hex), 12 response code (1-5), 13 responded_at,
-- 14 restrict_reports, 15 restriction ladder (lengths in ms, space-separated), 16 reason of a
-- new restriction, 17 sender id, 18 index retention.
-- Reply {0 recorded | 1 duplicate, restriction started (0/1), facts[, pairs dropped from x
-- (see track)]} or {2, message}.
-- The escalation at the end is the Lua copy of the jail model (history/standing.h,
-- JailRecord::MaybeStartRestriction); tests/history/standing_stores_test.cc keeps them equal.

pair = short(sub(ARGV[6], 1, 16))
migrate()
local invitation = short(ARGV[11])
local code = tonumber(ARGV[12])
local at = math.min(tonumber(ARGV[13]), now)
local h = prune(invitation)
local record
if h then record = h.record else record = call('HGET', KEYS[1], invitation) end
local fields = {invitation}  -- what this write sets in h, in one HSET: field, value, ...
if record then
  if not is_pair[sub(record, 8)] then
    return {2, 'the invitation is known with another recipient'}
  end
  -- Only IGNORED (2) -> REPORTED_UNKNOWN (4) -> REPORTED_SPAM (5) replaces a response.
  local flags, time = unpack6('>BI6', record)
  local old = flags % 8
  local rank = {[2] = 1, [4] = 2, [5] = 3}
  if old ~= 0 and not (rank[old] and rank[code] and rank[code] > rank[old]) then
    return {1, 0, facts(h)}
  end
  if flags % 16 >= SENT then
    if code == 1 and big then
      call('ZADD', KEYS[2], int(ACCEPTED + time), 'a' .. invitation)
    elseif code == 1 and time > acceptance_floor then
      h.accepted = h.accepted + 1
    end
  elseif at > time then
    -- Known only from a response: pruned by its latest responded_at.
    time = at
    if big then call('ZADD', KEYS[2], int(RESPONDED + at), invitation) end
  end
  -- flags % 16: a response clears the mark the invitation holds.
  fields[2] = string.char(flags % 16 - old + code) .. t6(time) .. pair
else
  -- Sent before the store knew it: recorded with its response, not counted as sent.
  fields[2] = string.char(code) .. t6(at) .. pair
  if big then call('ZADD', KEYS[2], int(RESPONDED + at), invitation) end
end
-- A "p" mark held by this invitation is cleared too.
if big then
  local held
  if asked then held = head[3] else held = call('HGET', KEYS[1], 'p' .. pair) end
  if held == invitation then
    call('HDEL', KEYS[1], 'p' .. pair)
    if asked then head[3] = false end
  end
else
  if h.p == invitation then
    call('HDEL', KEYS[1], 'p' .. pair)
    h.p = nil
  end
  if h.mark == invitation then h.mark = nil end
  if not (h.mark or h.p) then h.pending = 0 end
end
if code == 3 then
  local field = 'w' .. pair
  local previous
  if h then
    previous = h.withdrawn
  else
    previous = call('HGET', KEYS[1], field)
    if previous then previous = unpack6('>I6', previous) end
  end
  -- (One already outside the cool-down is not kept: nothing would count it.)
  if at > now - cooldown and (not previous or at > previous) then
    fields[#fields + 1] = field
    fields[#fields + 1] = t6(at)
    if big then call('ZADD', KEYS[2], int(WITHDRAWN + at), field) end
    if h then h.withdrawn = at end
    if asked then head[4] = t6(at) end
  end
elseif code >= 4 then
  local latest, spam = at, 0
  if code == 5 then spam = SPAM end
  local previous = tonumber(call('ZSCORE', KEYS[3], pair))
  if previous then
    if previous >= SPAM then
      spam = SPAM
      previous = previous - SPAM
    end
    latest = math.max(latest, previous)
  end
  call('ZADD', KEYS[3], int(latest + spam), pair)
  report_ttl(latest)
  cap_reporters()
end
if h then
  fields[#fields + 1] = 'c'
  fields[#fields + 1] = cache(h)
end
call('HSET', KEYS[1], unpack(fields))
local started = 0
if code >= 4 then
  local state = call('HMGET', KEYS[4], 'o', 'rs', 're', 'cs')
  if reports_in_window(state[4]) >= tonumber(ARGV[14]) and not restriction_active(state) then
    local offenses = (tonumber(state[1]) or 0) + 1
    local ending = 'inf'
    local step = 0
    for length in string.gmatch(ARGV[15], '%d+') do
      step = step + 1
      if step == offenses then ending = int(now + tonumber(length)) end
    end
    call('HSET', KEYS[4], 'o', int(offenses), 'rs', int(now), 're', ending, 'cs', int(now), 'why',
         ARGV[16])
    started = 1
  end
end
grow()
cap()
touch()
local dropped = track(ARGV[17], ARGV[18], at)
return {0, started, facts(h), dropped}
