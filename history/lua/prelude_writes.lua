-- The prelude's third part (see prelude.lua): pruning, the counts cache, big mode, TTLs; for
-- the scripts that write.

-- Times as 6 bytes big-endian (none is before 1970).
local function t6(ms) return struct.pack('>I6', math.max(ms, 0)) end

-- redis.call(command, key, args...) with at most 1000 args a call (unpack's limit).
local function call_in_chunks(command, key, args)
  for i = 1, #args, 1000 do
    call(command, key, unpack(args, i, math.min(i + 999, #args)))
  end
end

-- state = HMGET state o rs re ...: active while rs <= now < re.
local function restriction_active(state)
  local rs = tonumber(state[2])
  if not rs or rs > now then return false end
  return state[3] == 'inf' or tonumber(state[3]) > now
end

-- The start of every write: drops what no window can count any more. Pending marks stay until
-- answered (or expiry): in small mode, an unanswered invitation pruned with its pair's mark
-- leaves a "p" field. Small mode does it in one pass over h that also answers what the write
-- needs: h's part of the facts as read_h (pending, withdrawn: `pair`'s) and
--   record = the record of `invitation`, if known;
--   mark, mark_value = the record that holds `pair`'s mark as a flag bit, if any;
--   p = the invitation in `pair`'s "p" field, if any;
--   volume_min, acceptance_min, marked (the first bytes of flag-bit mark holders): for cache.
-- Big mode answers nil.
local function prune(invitation)
  local cutoff = now - tonumber(ARGV[7])
  if big then
    for _, region in ipairs({RESPONDED, SENT_AT}) do
      local old = call('ZRANGEBYSCORE', KEYS[2], int(region), int(region + cutoff))
      if #old > 0 then
        call_in_chunks('HDEL', KEYS[1], old)
        call('ZREMRANGEBYSCORE', KEYS[2], int(region), int(region + cutoff))
      end
    end
    call('ZREMRANGEBYSCORE', KEYS[2], int(ACCEPTED), int(ACCEPTED + now - tonumber(ARGV[4])))
    local last = int(WITHDRAWN + now - cooldown)
    local old = call('ZRANGEBYSCORE', KEYS[2], int(WITHDRAWN), last)
    if #old > 0 then
      call_in_chunks('HDEL', KEYS[1], old)
      call('ZREMRANGEBYSCORE', KEYS[2], int(WITHDRAWN), last)
    end
    return nil
  end
  local first = pair and sub(pair, 1, 1)
  local p_field, w_field = nil, nil  -- Release asks for no pair
  if pair then p_field, w_field = 'p' .. pair, 'w' .. pair end
  local volume, sent, accepted, volume_min, acceptance_min = 0, 0, 0, math.huge, math.huge
  local record, mark, mark_value, p, withdrawn = nil, nil, nil, nil, nil
  local marked, n = {}, 0
  local dead, marks = {}, {}
  local all = call('HGETALL', KEYS[1])
  for i = 2, #all, 2 do
    local value = all[i]
    local size = #value
    if size == 15 then
      local flags, at = unpack6('>BI6', value)
      if at > cutoff then
        if flags >= SENT then  -- (MARK comes with SENT)
          if at > volume_floor then
            volume = volume + 1
            if at < volume_min then volume_min = at end
          end
          if at > acceptance_floor then
            sent = sent + 1
            if at < acceptance_min then acceptance_min = at end
            if flags % 8 == 1 then accepted = accepted + 1 end
          end
          if flags >= MARK then
            local initial = sub(value, 8, 8)
            n = n + 1
            marked[n] = initial
            if initial == first and sub(value, 8) == pair then
              mark, mark_value = all[i - 1], value
            end
          end
        end
        if all[i - 1] == invitation then record = value end
      else
        dead[#dead + 1] = all[i - 1]
        if flags >= MARK then
          local holder = 'p' .. sub(value, 8)
          marks[#marks + 1] = holder
          marks[#marks + 1] = all[i - 1]
          if holder == p_field then p = all[i - 1] end
        end
      end
    elseif size == 6 then
      local at = unpack6('>I6', value)
      if at <= now - cooldown then
        dead[#dead + 1] = all[i - 1]
      elseif all[i - 1] == w_field then
        withdrawn = at
      end
    elseif all[i - 1] == p_field then
      p = value
    end
  end
  local h = {volume = volume, sent = sent, accepted = accepted, pending = 0, record = record,
             mark = mark, mark_value = mark_value, p = p, withdrawn = withdrawn,
             volume_min = volume_min, acceptance_min = acceptance_min, marked = marked}
  if #marks > 0 then call_in_chunks('HSET', KEYS[1], marks) end
  if #dead > 0 then call_in_chunks('HDEL', KEYS[1], dead) end
  if h.mark or h.p then h.pending = 1 end
  return h
end

-- The counts of `h` (a small-mode write's, updated by the write) for reads, to be left in "c"
-- with the write's HSET (at most 55 bytes, so that h stays a listpack): this write's now; until
-- when they stay exact (the first time a counted invitation leaves its window); the volume and
-- acceptance windows they are for; the volume, sent and accepted counts; then a filter of the
-- pairs whose mark is a flag bit of a record: 0 and the first bytes of their short names (a
-- superset: a mark cleared since leaves its byte), or 1 (any pair) past 24 such pairs.
local function cache(h)
  local till = math.min(h.volume_min + tonumber(ARGV[3]), h.acceptance_min + tonumber(ARGV[4]),
                        2 ^ 47)
  local filter = '\0' .. table.concat(h.marked)
  if #filter > 25 then filter = '\1' end
  return struct.pack('>I6I6I6I6HHH', now, till, tonumber(ARGV[3]), tonumber(ARGV[4]), h.volume,
                     h.sent, h.accepted) .. filter
end

-- After a small-mode write: past SMALL_FIELDS fields, builds t and the "p" marks from h (once)
-- and goes big (the counts cache goes).
local function grow()
  if big or call('HLEN', KEYS[1]) <= SMALL_FIELDS then return end
  local all = call('HGETALL', KEYS[1])
  local index, marks = {}, {'m', '1'}
  for i = 1, #all, 2 do
    local field, value = all[i], all[i + 1]
    if #value == 15 then
      local flags, at = unpack6('>BI6', value)
      if flags % 16 >= SENT then
        index[#index + 1] = int(SENT_AT + at)
        index[#index + 1] = field
        if flags % 8 == 1 then
          index[#index + 1] = int(ACCEPTED + at)
          index[#index + 1] = 'a' .. field
        end
      else
        index[#index + 1] = int(RESPONDED + at)
        index[#index + 1] = field
      end
      if flags >= MARK then
        marks[#marks + 1] = 'p' .. sub(value, 8)
        marks[#marks + 1] = field
      end
    elseif #value == 6 then
      index[#index + 1] = int(WITHDRAWN + unpack6('>I6', value))
      index[#index + 1] = field
    end
  end
  if #index > 0 then call_in_chunks('ZADD', KEYS[2], index) end
  call_in_chunks('HSET', KEYS[1], marks)
  call('HDEL', KEYS[1], 'c')
  big = true
end

-- TTLs after a write (PEXPIRE/PERSIST on a missing key are no-ops); every write that records
-- something ends with it. The state key has no TTL while it holds an indefinite restriction:
-- such a restriction lasts until an operator releases it, and a TTL would let a sender who keeps
-- quiet for `retention` walk out of jail (and lose offense_count) by expiry. Release sets an
-- end, and the next touch gives the TTL back.
local function touch()
  call('PEXPIRE', KEYS[1], ARGV[8])
  if big then call('PEXPIRE', KEYS[2], ARGV[8]) end
  call('PEXPIRE', KEYS[3], ARGV[9])
  if call('HGET', KEYS[4], 're') == 'inf' then
    call('PERSIST', KEYS[4])
  else
    call('PEXPIRE', KEYS[4], ARGV[8])
  end
end
