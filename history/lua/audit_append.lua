-- Append to the admin audit trail: no prelude. KEYS 1: the stream (etq:{admin-audit}:log,
-- history/redis_scripts.h). ARGV 1: the cap (exact MAXLEN: at admin-call rates each append
-- evicts at most one entry), 2: the entry's time in ms (its id is <ms>-0, or the last id's ms
-- and the next sequence number when that is not later: ids never go back, and come from the
-- service's clock, not Redis'), 3: the oldest entry time to keep, in ms (the retention: XTRIM
-- MINID), 4: an erased member ("" for none: ForgetMember) whose entries (field s) are deleted
-- first, their number stored in the new entry's field ra, 5...: the entry's field, value pairs.
-- Reply: {the new entry's id, the number of entries deleted}.

local call = redis.call
local ms = tonumber(ARGV[2])
local erased = ARGV[4]
-- The id first: the newest entry may be one the erasure deletes, and XADD refuses an id not
-- past the stream's last one, deleted or not.
local id = string.format('%d-0', ms)
local last = call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if last then
  local last_ms, last_seq = string.match(last[1], '^(%d+)-(%d+)$')
  if tonumber(last_ms) >= ms then
    id = last_ms .. '-' .. string.format('%d', tonumber(last_seq) + 1)
  end
end
local removed = 0
if erased ~= '' then
  -- The whole (capped) stream, in batches: an erasure is a rare admin call.
  local upper = '+'
  while true do
    local batch = call('XREVRANGE', KEYS[1], upper, '-', 'COUNT', 200)
    if #batch == 0 then break end
    for _, entry in ipairs(batch) do
      local fields = entry[2]
      for i = 1, #fields, 2 do
        if fields[i] == 's' then
          if fields[i + 1] == erased then
            removed = removed + call('XDEL', KEYS[1], entry[1])
          end
          break
        end
      end
    end
    upper = '(' .. batch[#batch][1]
  end
end
local fields = {unpack(ARGV, 5)}
if erased ~= '' then
  fields[#fields + 1] = 'ra'
  fields[#fields + 1] = tostring(removed)
end
call('XADD', KEYS[1], 'MAXLEN', ARGV[1], id, unpack(fields))
call('XTRIM', KEYS[1], 'MINID', ARGV[3])
return {id, removed}
