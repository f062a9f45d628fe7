-- Append to the admin audit trail: no prelude. KEYS 1: the stream (etq:{admin-audit}:log,
-- history/redis_scripts.h). ARGV 1: the cap (exact MAXLEN: at admin-call rates each append
-- evicts at most one entry), 2: the entry's time in ms (its id is <ms>-0, or the last id's ms
-- and the next sequence number when that is not later: ids never go back, and come from the
-- service's clock, not Redis'), 3: the oldest entry time to keep, in ms (the retention: XTRIM
-- MINID), 4...: the entry's field, value pairs. Reply: the new entry's id.

local call = redis.call
local ms = tonumber(ARGV[2])
local id = string.format('%d-0', ms)
local last = call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if last then
  local last_ms, last_seq = string.match(last[1], '^(%d+)-(%d+)$')
  if tonumber(last_ms) >= ms then
    id = last_ms .. '-' .. string.format('%d', tonumber(last_seq) + 1)
  end
end
call('XADD', KEYS[1], 'MAXLEN', ARGV[1], id, unpack(ARGV, 4))
call('XTRIM', KEYS[1], 'MINID', ARGV[3])
return id
