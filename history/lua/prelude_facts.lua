-- The prelude's second part (see prelude.lua): the facts reply, for every script but forget.lua.

-- Distinct reporters whose latest report is after max(now - report_window, clean slate), and
-- the spam ones among them.
local function reports_in_window(clean_slate)
  local floor = now - report_window
  local slate = tonumber(clean_slate)
  if slate and slate > floor then floor = slate end
  floor = math.max(floor, -1)
  local spam = call('ZCOUNT', KEYS[3], '(' .. int(SPAM + floor), '+inf')
  return call('ZCOUNT', KEYS[3], '(' .. int(floor), '(' .. int(SPAM)) + spam, spam
end

-- h's part of the facts: {volume, sent, accepted, pending = 0/1, withdrawn = ms or nil}, the
-- pair's part only when asked (from `head`). Big mode counts in t;
-- small mode passes over h once.
local function read_h()
  local volume, sent, accepted, pending = 0, 0, 0, 0
  local cached = nil
  if not big and head and head[2] then
    -- The counts cache of the last small-mode write (see cache()): exact while its windows
    -- are ours and now is in [its now, its until); for a pair whose first byte is not in its
    -- filter, no record holds the pair's mark as a flag bit (the mark is its "p" field or none).
    local at, till, v, a, cv, cs, ca = unpack6('>I6I6I6I6HHH', head[2])
    if at <= now and now < till and v == tonumber(ARGV[3]) and a == tonumber(ARGV[4]) then
      cached = {cv, cs, ca}
      local filter = sub(head[2], 31)
      if asked and (filter == '\1' or string.find(filter, sub(pair, 1, 1), 2, true)) then
        cached = nil
      end
      for i = 1, #olds do
        if filter == '\1' or string.find(filter, sub(olds[i], 1, 1), 2, true) then cached = nil end
      end
    end
  end
  if cached then
    volume, sent, accepted = cached[1], cached[2], cached[3]
  elseif big then
    local sent_end = '(' .. int(ACCEPTED)
    volume = call('ZCOUNT', KEYS[2], '(' .. int(SENT_AT + volume_floor), sent_end)
    sent = call('ZCOUNT', KEYS[2], '(' .. int(SENT_AT + acceptance_floor), sent_end)
    accepted = call('ZCOUNT', KEYS[2], '(' .. int(ACCEPTED + acceptance_floor),
                    '(' .. int(WITHDRAWN))
  else
    local values = call('HVALS', KEYS[1])
    for i = 1, #values do
      local value = values[i]
      if #value == 15 then
        local flags, at = unpack6('>BI6', value)
        if flags >= SENT then  -- (MARK comes with SENT)
          if at > volume_floor then volume = volume + 1 end
          if at > acceptance_floor then
            sent = sent + 1
            if flags % 8 == 1 then accepted = accepted + 1 end
          end
          if flags >= MARK and asked and is_pair[sub(value, 8)] then pending = 1 end
        end
      end
    end
  end
  local withdrawn = nil
  if asked then
    if head[3] then pending = 1 end
    if head[4] then withdrawn = unpack6('>I6', head[4]) end
    -- A key rotation: the pair under the older keys too (what no write has moved yet).
    for i = 1, #olds do
      local old = call('HMGET', KEYS[1], 'p' .. olds[i], 'w' .. olds[i])
      if old[1] then pending = 1 end
      if old[2] then withdrawn = math.max(withdrawn or 0, unpack6('>I6', old[2])) end
    end
  end
  return {volume = volume, sent = sent, accepted = accepted, pending = pending,
          withdrawn = withdrawn}
end

-- The facts reply; `h` as read_h answers, or nil to read it.
local function facts(h)
  h = h or read_h()
  local state = call('HMGET', KEYS[4], 'o', 'rs', 're', 'cs', 'why')
  local reports, spam, reported, withdrawn, pending = 0, 0, 0, '', 0
  if call('EXISTS', KEYS[3]) == 1 then  -- most senders have no reporter: one call, not three
    reports, spam = reports_in_window(state[4])
    -- A reporter entry counts for ARGV[9] after its latest report (its own clock), even
    -- before a write prunes it.
    local score = asked and tonumber(call('ZSCORE', KEYS[3], pair))
    if score and score % SPAM > now - tonumber(ARGV[9]) then reported = 1 end
    for i = 1, #olds do
      score = tonumber(call('ZSCORE', KEYS[3], olds[i]))
      if score and score % SPAM > now - tonumber(ARGV[9]) then reported = 1 end
    end
  end
  if asked then
    if h.withdrawn and h.withdrawn > now - cooldown then withdrawn = int(h.withdrawn) end
    pending = h.pending
  end
  return {reports, spam, h.volume, h.sent, h.accepted, tonumber(state[1]) or 0, state[2] or '',
          state[3] or '', state[5] or '', reported, withdrawn, pending, 0}
end
