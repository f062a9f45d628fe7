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

-- Big mode: drops `fields` of t's record and withdrawal regions (invitations' short names,
-- "w" R) from h, with the pending marks the invitations hold, and, when `indexed`, from t with
-- their "a" entries (pruning by score range removes those itself).
local function drop(fields, indexed)
  for i = 1, #fields, 1000 do
    local chunk = {unpack(fields, i, math.min(i + 999, #fields))}
    local values = call('HMGET', KEYS[1], unpack(chunk))
    local marks, holders = {}, {}
    for j = 1, #chunk do
      local value = values[j]
      if value and #value == 15 and string.byte(value) % 8 == 0 then  -- unanswered
        marks[#marks + 1] = 'p' .. sub(value, 8)
        holders[#holders + 1] = chunk[j]
      end
    end
    local dead = {unpack(chunk)}
    if #marks > 0 then
      local held = call('HMGET', KEYS[1], unpack(marks))
      for j = 1, #marks do
        if held[j] == holders[j] then
          dead[#dead + 1] = marks[j]
          if asked and marks[j] == 'p' .. pair then head[3] = false end
        end
      end
    end
    call('HDEL', KEYS[1], unpack(dead))
    if indexed then
      local index = {unpack(chunk)}
      for j = 1, #chunk do
        if #chunk[j] == 8 then index[#index + 1] = 'a' .. chunk[j] end
        if asked and chunk[j] == 'w' .. pair then head[4] = false end
      end
      call('ZREM', KEYS[2], unpack(index))
    end
  end
end

-- Reporters whose latest report is at or before now - ARGV[9] (the retention of reporters, at
-- least report_window): no window counts them any more.
local function prune_reporters()
  local cutoff = now - tonumber(ARGV[9])
  if cutoff < 0 then return end
  call('ZREMRANGEBYSCORE', KEYS[3], '-inf', int(cutoff))
  call('ZREMRANGEBYSCORE', KEYS[3], int(SPAM), int(SPAM + cutoff))
end

-- The start of every write: drops what no window can count any more, and with an invitation the
-- pending mark it holds (a pair is pending for as long as its latest invitation is kept), and
-- the reporters past their retention. Small mode does it in one pass over h that also answers
-- what the write needs: h's part of the facts as read_h (pending, withdrawn: `pair`'s) and
--   record = the record of `invitation`, if known;
--   mark, mark_value = the record that holds `pair`'s mark as a flag bit, if any;
--   p = the invitation in `pair`'s "p" field, if any (none: small mode keeps its marks as flag
--       bits; a "p" field there is from an earlier version, whose holder is gone, and goes);
--   volume_min, acceptance_min, marked (the first bytes of flag-bit mark holders): for cache.
-- Big mode answers nil.
local function prune(invitation)
  local cutoff = now - tonumber(ARGV[7])
  prune_reporters()
  if big then
    for _, region in ipairs({RESPONDED, SENT_AT}) do
      local old = call('ZRANGEBYSCORE', KEYS[2], int(region), int(region + cutoff))
      if #old > 0 then
        drop(old, false)
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
  local w_field = nil  -- Release asks for no pair
  if pair then w_field = 'w' .. pair end
  local volume, sent, accepted, volume_min, acceptance_min = 0, 0, 0, math.huge, math.huge
  local record, mark, mark_value, p, withdrawn = nil, nil, nil, nil, nil
  local marked, n = {}, 0
  local dead = {}
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
        dead[#dead + 1] = all[i - 1]  -- with the mark it may hold
      end
    elseif size == 6 then
      local at = unpack6('>I6', value)
      if at <= now - cooldown then
        dead[#dead + 1] = all[i - 1]
      elseif all[i - 1] == w_field then
        withdrawn = at
      end
    elseif size == 8 and sub(all[i - 1], 1, 1) == 'p' then
      dead[#dead + 1] = all[i - 1]
    end
  end
  local h = {volume = volume, sent = sent, accepted = accepted, pending = 0, record = record,
             mark = mark, mark_value = mark_value, p = p, withdrawn = withdrawn,
             volume_min = volume_min, acceptance_min = acceptance_min, marked = marked}
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

-- The oldest `excess` members of `key` among the score regions `regions` ({from, to} each, to
-- exclusive), oldest first by score - from (ties: by region, then as the zset orders them).
local function oldest(key, regions, excess)
  local all = {}
  for r = 1, #regions do
    local from = regions[r][1]
    local got = call('ZRANGEBYSCORE', key, int(from), '(' .. int(regions[r][2]), 'WITHSCORES',
                     'LIMIT', 0, excess)
    for i = 1, #got, 2 do all[#all + 1] = {tonumber(got[i + 1]) - from, r, i, got[i]} end
  end
  table.sort(all, function(a, b)
    if a[1] ~= b[1] then return a[1] < b[1] end
    if a[2] ~= b[2] then return a[2] < b[2] end
    return a[3] < b[3]
  end)
  local names = {}
  for i = 1, math.min(excess, #all) do names[i] = all[i][4] end
  return names
end

-- The cap of a sender's records (ARGV[10], at least 64, so that small mode never reaches it):
-- after a big-mode write, past ARGV[10] invitations and withdrawals together, the oldest go
-- first (an invitation by its time in t, with its "a" entry and the pending mark it holds; a
-- withdrawal by its time). h then stays under about 2 * ARGV[10] fields, t likewise.
local function cap()
  if not big then return end
  local excess = call('ZCOUNT', KEYS[2], int(RESPONDED), '(' .. int(ACCEPTED)) +
                 call('ZCOUNT', KEYS[2], int(WITHDRAWN), '+inf') - tonumber(ARGV[10])
  if excess <= 0 then return end
  drop(oldest(KEYS[2], {{RESPONDED, SENT_AT}, {SENT_AT, ACCEPTED}, {WITHDRAWN, 4 * REGION}},
              excess), true)
end

-- The same cap on reporters: past ARGV[10], the oldest latest reports go first.
local function cap_reporters()
  local excess = call('ZCARD', KEYS[3]) - tonumber(ARGV[10])
  if excess <= 0 then return end
  call('ZREM', KEYS[3], unpack(oldest(KEYS[3], {{0, SPAM}, {SPAM, 2 * SPAM}}, excess)))
end

-- TTLs after a write (PEXPIRE/PERSIST on a missing key are no-ops); every write that records
-- something ends with it. Not r's: reporters expire on their own clock (see report_ttl), not
-- refreshed by unrelated writes. The state key has no TTL while it holds an indefinite restriction:
-- such a restriction lasts until an operator releases it, and a TTL would let a sender who keeps
-- quiet for `retention` walk out of jail (and lose offense_count) by expiry. Release sets an
-- end, and the next touch gives the TTL back.
local function touch()
  call('PEXPIRE', KEYS[1], ARGV[8])
  if big then call('PEXPIRE', KEYS[2], ARGV[8]) end
  if call('HGET', KEYS[4], 're') == 'inf' then
    call('PERSIST', KEYS[4])
  else
    call('PEXPIRE', KEYS[4], ARGV[8])
  end
end

-- After a report at `latest`: r lives until its newest report is ARGV[9] old (a TTL relative to
-- `now`, as every time here: Redis's own clock is not used; only ever extended, and only by a
-- report).
local function report_ttl(latest)
  local ttl = latest + tonumber(ARGV[9]) - now
  if ttl > 0 and call('PTTL', KEYS[3]) < ttl then call('PEXPIRE', KEYS[3], int(ttl)) end
end

-- Key rotation: moves what the sender holds about the pair under `old` (its short name under an
-- older key) to `pair`, when x says it holds anything (x names every pair with data); answers
-- whether it did. Records keep their flags and times under the new name; the pending mark goes
-- with its holder (held under both names, written by replicas on either key during a rollout:
-- the later invitation keeps it); cool-downs and reporter entries merge (the latest time; spam
-- if either); x keeps the later event. The counts cache "c" goes (its filter names the marks).
local function rekey(old)
  local at = call('ZSCORE', KEYS[5], old)
  if not at then return false end
  local set, dead, holders = {}, {'c'}, {}
  local all = call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    local field, value = all[i], all[i + 1]
    if #value == 15 then
      local r = sub(value, 8)
      if r == old then
        value = sub(value, 1, 7) .. pair
        set[#set + 1] = field
        set[#set + 1] = value
      end
      if r == old or r == pair then
        if string.byte(value) >= MARK then holders[#holders + 1] = {field, value} end
      end
    end
  end
  -- One flag-bit holder of the mark: the latest invitation.
  if #holders > 1 then
    table.sort(holders, function(a, b)
      return unpack6('>I6', sub(a[2], 2, 7)) > unpack6('>I6', sub(b[2], 2, 7))
    end)
    for i = 2, #holders do
      set[#set + 1] = holders[i][1]
      set[#set + 1] = string.char(string.byte(holders[i][2]) - MARK) .. sub(holders[i][2], 2)
    end
  end
  local fields = call('HMGET', KEYS[1], 'p' .. old, 'p' .. pair, 'w' .. old, 'w' .. pair)
  if fields[1] then
    dead[#dead + 1] = 'p' .. old
    local keep = fields[1]
    if fields[2] then
      local held = call('HMGET', KEYS[1], fields[1], fields[2])
      if not held[1] or (held[2] and unpack6('>I6', sub(held[2], 2, 7)) >=
                                         unpack6('>I6', sub(held[1], 2, 7))) then
        keep = fields[2]
      end
    end
    set[#set + 1] = 'p' .. pair
    set[#set + 1] = keep
  end
  if fields[3] then
    dead[#dead + 1] = 'w' .. old
    local latest = unpack6('>I6', fields[3])
    if fields[4] then latest = math.max(latest, unpack6('>I6', fields[4])) end
    set[#set + 1] = 'w' .. pair
    set[#set + 1] = t6(latest)
    if big then
      call('ZREM', KEYS[2], 'w' .. old)
      call('ZADD', KEYS[2], int(WITHDRAWN + latest), 'w' .. pair)
    end
  end
  call_in_chunks('HDEL', KEYS[1], dead)
  if #set > 0 then call_in_chunks('HSET', KEYS[1], set) end
  local score = tonumber(call('ZSCORE', KEYS[3], old))
  if score then
    local mine = tonumber(call('ZSCORE', KEYS[3], pair))
    if mine then
      local spam = 0
      if score >= SPAM or mine >= SPAM then spam = SPAM end
      score = math.max(score % SPAM, mine % SPAM) + spam
    end
    call('ZREM', KEYS[3], old)
    call('ZADD', KEYS[3], int(score), pair)
  end
  call('ZREM', KEYS[5], old)
  call('ZADD', KEYS[5], 'GT', at, pair)
  return true
end

-- Before a write during a key rotation: the pair's data under the older keys moves to `pair`
-- (rekey), and `head` is read again. The sender leaves the recipient's indexes under the older
-- keys in track().
local function migrate()
  local moved = false
  for i = 1, #olds do
    if rekey(olds[i]) then moved = true end
  end
  if moved and asked then head = call('HMGET', KEYS[1], 'm', 'c', 'p' .. pair, 'w' .. pair) end
  return moved
end

-- The pair's entry in the sender's recipients x (R -> the latest event time about the pair,
-- `at`), and, on one Redis, in the recipient's index (KEYS[7]: sender -> `now`, the time of the
-- latest write, kept for `keep`). In a cluster the index is in another slot, and the store
-- writes it in a round trip of its own (index.lua), before this script.
-- x is kept for 2 * keep (an entry outlives every index entry naming the sender: events are at
-- most the longest window older than their write, and keep is longer than that), and capped at
-- 2 * ARGV[10] + 8 pairs, the oldest events first: the data a sender holds is at most ARGV[10]
-- records and withdrawals and ARGV[10] reporters, the newest by event time, so a pair it
-- still holds data about is never dropped. A dropped pair leaves its index: here on one Redis
-- (an index key outside KEYS: allowed there, not in a cluster); in a cluster the script
-- answers the dropped pairs and the store removes the sender from their indexes after it.
local function track(sender, keep, at)
  keep = tonumber(keep)
  call('ZADD', KEYS[5], 'GT', int(at), pair)
  call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. int(now - 2 * keep))
  call('PEXPIRE', KEYS[5], int(2 * keep))
  local dropped = {}
  local excess = call('ZCARD', KEYS[5]) - 2 * tonumber(ARGV[10]) - 8
  if excess > 0 then
    dropped = call('ZRANGE', KEYS[5], 0, excess - 1)
    call('ZREM', KEYS[5], unpack(dropped))
  end
  if KEYS[7] then
    call('ZADD', KEYS[7], int(now), sender)
    call('ZREMRANGEBYSCORE', KEYS[7], '-inf', '(' .. int(now - keep))
    call('PEXPIRE', KEYS[7], int(keep))
    -- A key rotation: KEYS[8...] are the recipient's indexes under the older keys, which the
    -- sender leaves (its data moved to the first key: migrate()). A dropped pair may be under
    -- any key: it leaves the index of that name under each (the key id is in the index's name:
    -- its prefix, before the short name's 16 hex digits and "}:s").
    for k = 8, #KEYS do call('ZREM', KEYS[k], sender) end
    for i = 1, #dropped do
      local high, low = struct.unpack('>I4I4', dropped[i])
      for k = 7, #KEYS do
        call('ZREM', string.format('%s%08x%08x}:s', sub(KEYS[k], 1, #KEYS[k] - 19), high, low),
             sender)
      end
    end
    dropped = {}
  end
  return dropped
end
