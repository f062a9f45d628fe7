-- Forget: no prelude, KEYS only. Reply: number of keys deleted. UNLINK frees a
-- big sender's keys off Redis's main thread.

return redis.call('UNLINK', unpack(KEYS))
