-- A recipient's index: no prelude. KEYS 1: etq:{r:<key id>:<the recipient key's short name,
-- hex>}:s, a ZSET of the senders that may hold data about the recipient -> the latest write
-- about the pair (history/redis_scripts.h). ARGV 1 is the operation:
--   add <now> <sender> <retention>: the pair was written at now (Redis Cluster: the write
--       scripts' own track() does it on one Redis); entries older than retention go. Reply 1.
--   read: the senders. remove <sender>...: those senders (forgotten, or read by an erasure
--   that has forgotten the pair at each: a sender added since stays).

local call, op = redis.call, ARGV[1]
if op == 'add' then
  local now, keep = tonumber(ARGV[2]), tonumber(ARGV[4])
  call('ZADD', KEYS[1], ARGV[2], ARGV[3])
  call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', now - keep))
  call('PEXPIRE', KEYS[1], ARGV[4])
  return 1
elseif op == 'read' then
  return call('ZRANGE', KEYS[1], 0, -1)
elseif op == 'remove' then
  local removed = 0
  for i = 2, #ARGV, 1000 do
    removed = removed + call('ZREM', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
  end
  return removed
end
return redis.error_reply('index.lua: unknown operation')
