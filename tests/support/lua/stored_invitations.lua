-- For tests and operators, read-only: EVAL_RO <this> 1 <the sender's h key> answers what h holds
-- (history/redis_scripts.h): {invitations recorded as sent, of those accepted, invitations known
-- only from a response, "w" fields, "p" fields, 1 if big mode else 0}.

local sent, accepted, responded, withdrawals, marks = 0, 0, 0, 0, 0
for _, value in ipairs(redis.call('HVALS', KEYS[1])) do
  if #value == 15 then
    local flags = string.byte(value)
    if flags % 16 >= 8 then
      sent = sent + 1
      if flags % 8 == 1 then accepted = accepted + 1 end
    else
      responded = responded + 1
    end
  elseif #value == 6 then
    withdrawals = withdrawals + 1
  elseif #value == 8 then
    marks = marks + 1
  end
end
return {sent, accepted, responded, withdrawals, marks, redis.call('HEXISTS', KEYS[1], 'm')}
