-- A page of the admin audit trail, newest first: no prelude; reads only. KEYS 1: the stream.
-- ARGV 1: the upper bound ("+", or "(" .. the id after which the page starts), 2: the lower
-- bound (the retention: ms), 3: the page size n, 4: the sender id whose entries to keep ("":
-- all). Reply {more, id, {field, value...}, ...}: at most n entries, more = 1 when another one
-- matches. A filtered page reads the stream in batches of 200 until it has n + 1 entries or
-- reaches the lower bound: at most the whole (capped) stream.

local call = redis.call
local upper, lower, n, sender = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local out, found = {0}, 0
while true do
  local batch = call('XREVRANGE', KEYS[1], upper, lower, 'COUNT', 200)
  if #batch == 0 then return out end
  for _, entry in ipairs(batch) do
    local keep = sender == ''
    if not keep then
      local fields = entry[2]
      for i = 1, #fields, 2 do
        if fields[i] == 's' then
          keep = fields[i + 1] == sender
          break
        end
      end
    end
    if keep then
      if found == n then
        out[1] = 1
        return out
      end
      found = found + 1
      out[#out + 1] = entry[1]
      out[#out + 1] = entry[2]
    end
  end
  upper = '(' .. batch[#batch][1]
end
