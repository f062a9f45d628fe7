-- The prelude of every script but forget.lua: each script is "local SMALL_FIELDS = <n>" (from
-- kSmallFields), then the prelude's parts it needs, in this order: prelude.lua,
-- prelude_facts.lua, prelude_writes.lua (a function defined in Lua is a closure made anew on
-- every call, so a script carries only the helpers it uses), then its body. All of it is one
-- chunk: a later part sees the locals of the earlier ones.
--
-- KEYS (all of one sender, same hash tag): 1 h, 2 t, 3 r, 4 state, 5 x, 6 n (see
-- history/redis_scripts.h); the writes on one Redis (not a cluster) add 7: the recipient's index.
-- ARGV: 1 now, 2 report_window, 3 volume_window, 4 acceptance_window, 5 reinvite_cooldown,
--       6 the recipient key's short name, 16 hex digits ('' = no pair facts; ids and keys are
--       hashed before they reach Redis: arguments show up in SLOWLOG and MONITOR), followed,
--       during a key rotation, by its short names under the older keys (16 hex digits each;
--       reads look under all of them, writes first move their data to the first: migrate() in
--       prelude_writes.lua), 7 longest
--       window, 8 retention,
--       9 rep retention (all times and durations in milliseconds), 10 the cap of records (see
--       cap() in prelude_writes.lua), then the script's own.
--
-- Windows use strict inequalities: an event counts when its time > now - window (and, for
-- reports, > the clean slate). Scores are integers, so "> x" is the range "(x". Stored times are
-- compared as numbers (struct.unpack), never as byte strings: Lua compares strings with
-- strcoll, and Redis sets LC_COLLATE from the environment.

local now = tonumber(ARGV[1])
local report_window = tonumber(ARGV[2])
local cooldown = tonumber(ARGV[5])
local call, unpack6, sub = redis.call, struct.unpack, string.sub

-- Score regions of t (2^45 ms each, past the year 3000); r marks spam reporters the same way.
local REGION = 35184372088832
local RESPONDED, SENT_AT, ACCEPTED, WITHDRAWN = 0, REGION, 2 * REGION, 3 * REGION
local SPAM = REGION
-- Flag bits of an invitation record, above its response code (0-5).
local SENT, MARK = 8, 16
-- An invitation sent after a floor counts in the window.
local volume_floor = math.max(now - tonumber(ARGV[3]), -1)
local acceptance_floor = math.max(now - tonumber(ARGV[4]), -1)

-- Integer text for arguments and stored values (never "1.7e+12").
local function int(x) return string.format('%d', x) end
-- A short name (the first 8 bytes of an id's SHA-1, computed by the caller) from its 16 hex
-- digits.
local function short(hex)
  return struct.pack('>I4I4', tonumber(sub(hex, 1, 8), 16), tonumber(sub(hex, 9, 16), 16))
end

local asked = ARGV[6] ~= ''  -- pair facts wanted
local pair = nil  -- short name of the recipient key; writes set it even when ARGV[6] is ''
-- The recipient's short names under older keys (a key rotation), and all of its short names.
local olds, is_pair = {}, {}
for i = 17, #ARGV[6], 16 do olds[#olds + 1] = short(sub(ARGV[6], i, i + 15)) end
-- h's "m" and "c", and when asked the pair's "p" and "w" fields, in one call (big-mode writes
-- keep the pair's up to date; a small-mode write hands facts its own view of h).
local head = nil
if asked then
  pair = short(sub(ARGV[6], 1, 16))
  is_pair[pair] = true
  for i = 1, #olds do is_pair[olds[i]] = true end
  head = call('HMGET', KEYS[1], 'm', 'c', 'p' .. pair, 'w' .. pair)
else
  head = call('HMGET', KEYS[1], 'm', 'c')
end
local big = head[1] ~= false
