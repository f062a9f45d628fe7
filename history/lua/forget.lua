-- Forget: no prelude, KEYS only. Reply: number of keys deleted.

return redis.call('DEL', unpack(KEYS))
