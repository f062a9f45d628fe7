-- GetFacts (and each query of BatchGetFacts). Prelude: prelude.lua, prelude_facts.lua.
-- ARGV 11 a note fingerprint (16 hex digits; '': none), 12 the largest distance (bits) of a
-- near-identical note. Reply: facts, the 13th item the near-identical notes (0 without ARGV 11).

-- Bits set in a 32-bit value as LuaBitOp answers it (maybe negative): the classic SWAR count;
-- each step is exact modulo 2^32, which is all the bit functions look at.
local function popcount32(x)
  local band, rshift = bit.band, bit.rshift
  x = x - band(rshift(x, 1), 0x55555555)
  x = band(x, 0x33333333) + band(rshift(x, 2), 0x33333333)
  x = band(x + rshift(x, 4), 0x0F0F0F0F)
  return band(x, 255) + band(rshift(x, 8), 255) + band(rshift(x, 16), 255) + rshift(x, 24)
end

-- The sender's note fingerprints inside the volume window at most `max_distance` bits from
-- `hex` (16 hex digits): n (KEYS[6]) is a string of 14-byte entries, each a fingerprint (8
-- bytes, big-endian) and the invitation's sent_at (T6).
local function near_notes(hex, max_distance)
  local notes = call('GET', KEYS[6])
  if not notes then return 0 end
  local high, low = tonumber(sub(hex, 1, 8), 16), tonumber(sub(hex, 9, 16), 16)
  local bxor = bit.bxor
  local count = 0
  for i = 1, #notes - 13, 14 do
    local h, l, at = unpack6('>I4I4I6', notes, i)
    if at > volume_floor and popcount32(bxor(high, h)) + popcount32(bxor(low, l)) <=
        max_distance then
      count = count + 1
    end
  end
  return count
end

local reply = facts()
if ARGV[11] ~= '' then reply[13] = near_notes(ARGV[11], tonumber(ARGV[12])) end
return reply
