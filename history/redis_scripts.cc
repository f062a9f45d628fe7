#include "history/redis_scripts.h"

#include <openssl/sha.h>

#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace etiquette::redis_scripts {
namespace {

// ---------------------------------------------------------------------------------------------
// Lua. Every script is a line that sets SMALL_FIELDS, the parts of the prelude it needs
// (kCommon, then kFacts, then kWrites: a function defined in Lua is a closure made anew on every
// call, so a script carries only the helpers it uses) and its body.
//
// KEYS (all of one sender, same hash tag): 1 h, 2 t, 3 r, 4 state (see the header).
// ARGV: 1 now, 2 report_window, 3 volume_window, 4 acceptance_window, 5 reinvite_cooldown,
//       6 recipient key ('' = no pair facts), 7 longest window, 8 retention,
//       9 rep retention (all times and durations in milliseconds), then the script's own.
//
// Windows use strict inequalities: an event counts when its time > now - window (and, for
// reports, > the clean slate). Scores are integers, so "> x" is the range "(x". Stored times are
// compared as numbers (struct.unpack), never as byte strings: Lua compares strings with
// strcoll, and Redis sets LC_COLLATE from the environment.
constexpr absl::string_view kCommon = R"lua(
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
-- The short name of an id: the first 8 bytes of its SHA-1.
local function short(text)
  local hex = redis.sha1hex(text)
  return struct.pack('>I4I4', tonumber(sub(hex, 1, 8), 16), tonumber(sub(hex, 9, 16), 16))
end

local asked = ARGV[6] ~= ''  -- pair facts wanted
local pair = nil  -- short name of the recipient key; writes set it even when ARGV[6] is ''
-- h's "m" and "c", and when asked the pair's "p" and "w" fields, in one call (big-mode writes
-- keep the pair's up to date; a small-mode write hands facts its own view of h).
local head = nil
if asked then
  pair = short(ARGV[6])
  head = call('HMGET', KEYS[1], 'm', 'c', 'p' .. pair, 'w' .. pair)
else
  head = call('HMGET', KEYS[1], 'm', 'c')
end
local big = head[1] ~= false
)lua";

constexpr absl::string_view kFacts = R"lua(
-- Distinct reporters whose latest report is after max(now - report_window, clean slate), and
-- the spam ones among them.
local function reports_in_window(clean_slate)
  local floor = now - report_window
  local slate = tonumber(clean_slate)
  if slate and slate > floor then floor = slate end
  floor = math.max(floor, -1)
  local spam = call('ZCOUNT', KEYS[3], '(' .. int(SPAM + floor), '+inf')
  return call('ZCOUNT', KEYS[3], '(' .. int(floor), '(' .. int(SPAM)) + spam, spam
end

-- h's part of the facts: {volume, sent, accepted, pending = 0/1, withdrawn = ms or nil}, the
-- pair's part only when asked (from `head`). Big mode counts in t;
-- small mode passes over h once.
local function read_h()
  local volume, sent, accepted, pending = 0, 0, 0, 0
  local cached = nil
  if not big and head and head[2] then
    -- The counts cache of the last small-mode write (see cache()): exact while its windows
    -- are ours and now is in [its now, its until); for a pair whose first byte is not in its
    -- filter, no record holds the pair's mark as a flag bit (the mark is its "p" field or none).
    local at, till, v, a, cv, cs, ca = unpack6('>I6I6I6I6HHH', head[2])
    if at <= now and now < till and v == tonumber(ARGV[3]) and a == tonumber(ARGV[4]) then
      cached = {cv, cs, ca}
      local filter = sub(head[2], 31)
      if asked and (filter == '\1' or string.find(filter, sub(pair, 1, 1), 2, true)) then
        cached = nil
      end
    end
  end
  if cached then
    volume, sent, accepted = cached[1], cached[2], cached[3]
  elseif big then
    local sent_end = '(' .. int(ACCEPTED)
    volume = call('ZCOUNT', KEYS[2], '(' .. int(SENT_AT + volume_floor), sent_end)
    sent = call('ZCOUNT', KEYS[2], '(' .. int(SENT_AT + acceptance_floor), sent_end)
    accepted = call('ZCOUNT', KEYS[2], '(' .. int(ACCEPTED + acceptance_floor),
                    '(' .. int(WITHDRAWN))
  else
    local values = call('HVALS', KEYS[1])
    for i = 1, #values do
      local value = values[i]
      if #value == 15 then
        local flags, at = unpack6('>BI6', value)
        if flags >= SENT then  -- (MARK comes with SENT)
          if at > volume_floor then volume = volume + 1 end
          if at > acceptance_floor then
            sent = sent + 1
            if flags % 8 == 1 then accepted = accepted + 1 end
          end
          if flags >= MARK and asked and sub(value, 8) == pair then pending = 1 end
        end
      end
    end
  end
  local withdrawn = nil
  if asked then
    if head[3] then pending = 1 end
    if head[4] then withdrawn = unpack6('>I6', head[4]) end
  end
  return {volume = volume, sent = sent, accepted = accepted, pending = pending,
          withdrawn = withdrawn}
end

-- The facts reply; `h` as read_h answers, or nil to read it.
local function facts(h)
  h = h or read_h()
  local state = call('HMGET', KEYS[4], 'o', 'rs', 're', 'cs', 'why')
  local reports, spam, reported, withdrawn, pending = 0, 0, 0, '', 0
  if call('EXISTS', KEYS[3]) == 1 then  -- most senders have no reporter: one call, not three
    reports, spam = reports_in_window(state[4])
    if asked and call('ZSCORE', KEYS[3], pair) then reported = 1 end
  end
  if asked then
    if h.withdrawn and h.withdrawn > now - cooldown then withdrawn = int(h.withdrawn) end
    pending = h.pending
  end
  return {reports, spam, h.volume, h.sent, h.accepted, tonumber(state[1]) or 0, state[2] or '',
          state[3] or '', state[5] or '', reported, withdrawn, pending}
end
)lua";

constexpr absl::string_view kWrites = R"lua(
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

-- The start of every write: drops what no window can count any more. Pending marks stay until
-- answered (or expiry): in small mode, an unanswered invitation pruned with its pair's mark
-- leaves a "p" field. Small mode does it in one pass over h that also answers what the write
-- needs: h's part of the facts as read_h (pending, withdrawn: `pair`'s) and
--   record = the record of `invitation`, if known;
--   mark, mark_value = the record that holds `pair`'s mark as a flag bit, if any;
--   p = the invitation in `pair`'s "p" field, if any;
--   volume_min, acceptance_min, marked (the first bytes of flag-bit mark holders): for cache.
-- Big mode answers nil.
local function prune(invitation)
  local cutoff = now - tonumber(ARGV[7])
  if big then
    for _, region in ipairs({RESPONDED, SENT_AT}) do
      local old = call('ZRANGEBYSCORE', KEYS[2], int(region), int(region + cutoff))
      if #old > 0 then
        call_in_chunks('HDEL', KEYS[1], old)
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
  local p_field, w_field = nil, nil  -- Release asks for no pair
  if pair then p_field, w_field = 'p' .. pair, 'w' .. pair end
  local volume, sent, accepted, volume_min, acceptance_min = 0, 0, 0, math.huge, math.huge
  local record, mark, mark_value, p, withdrawn = nil, nil, nil, nil, nil
  local marked, n = {}, 0
  local dead, marks = {}, {}
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
        dead[#dead + 1] = all[i - 1]
        if flags >= MARK then
          local holder = 'p' .. sub(value, 8)
          marks[#marks + 1] = holder
          marks[#marks + 1] = all[i - 1]
          if holder == p_field then p = all[i - 1] end
        end
      end
    elseif size == 6 then
      local at = unpack6('>I6', value)
      if at <= now - cooldown then
        dead[#dead + 1] = all[i - 1]
      elseif all[i - 1] == w_field then
        withdrawn = at
      end
    elseif all[i - 1] == p_field then
      p = value
    end
  end
  local h = {volume = volume, sent = sent, accepted = accepted, pending = 0, record = record,
             mark = mark, mark_value = mark_value, p = p, withdrawn = withdrawn,
             volume_min = volume_min, acceptance_min = acceptance_min, marked = marked}
  if #marks > 0 then call_in_chunks('HSET', KEYS[1], marks) end
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

-- TTLs after a write (PEXPIRE/PERSIST on a missing key are no-ops); every write that records
-- something ends with it. The state key has no TTL while it holds an indefinite restriction:
-- such a restriction lasts until an operator releases it, and a TTL would let a sender who keeps
-- quiet for `retention` walk out of jail (and lose offense_count) by expiry. Release sets an
-- end, and the next touch gives the TTL back.
local function touch()
  call('PEXPIRE', KEYS[1], ARGV[8])
  if big then call('PEXPIRE', KEYS[2], ARGV[8]) end
  call('PEXPIRE', KEYS[3], ARGV[9])
  if call('HGET', KEYS[4], 're') == 'inf' then
    call('PERSIST', KEYS[4])
  else
    call('PEXPIRE', KEYS[4], ARGV[8])
  end
end
)lua";

// ARGV 10 invitation id, 11 sent_at. Reply {0 recorded | 1 duplicate, 0, facts}.
constexpr absl::string_view kRecordInvitationBody = R"lua(
pair = short(ARGV[6])
local invitation = short(ARGV[10])
local h = prune(invitation)
if (h and h.record) or (big and call('HEXISTS', KEYS[1], invitation) == 1) then
  return {1, 0, facts(h)}
end
local sent_at = math.min(tonumber(ARGV[11]), now)
-- The pair's pending mark moves to this invitation.
if big then
  call('HSET', KEYS[1], invitation, string.char(SENT) .. t6(sent_at) .. pair, 'p' .. pair,
       invitation)
  call('ZADD', KEYS[2], int(SENT_AT + sent_at), invitation)
  if asked then head[3] = invitation end
else
  if h.p then call('HDEL', KEYS[1], 'p' .. pair) end
  if sent_at > volume_floor then
    h.volume = h.volume + 1
    h.volume_min = math.min(h.volume_min, sent_at)
  end
  if sent_at > acceptance_floor then
    h.sent = h.sent + 1
    h.acceptance_min = math.min(h.acceptance_min, sent_at)
  end
  h.marked[#h.marked + 1] = sub(pair, 1, 1)
  h.pending = 1
  local fields = {invitation, string.char(SENT + MARK) .. t6(sent_at) .. pair, 'c', cache(h)}
  if h.mark then  -- the record that held the mark
    fields[5] = h.mark
    fields[6] = string.char(string.byte(h.mark_value) - MARK) .. sub(h.mark_value, 2)
  end
  call('HSET', KEYS[1], unpack(fields))
  grow()
end
touch()
return {0, 0, facts(h)}
)lua";

// ARGV 10 invitation id, 11 response code (1-5), 12 responded_at, 13 restrict_reports,
// 14 restriction ladder (lengths in ms, space-separated), 15 reason of a new restriction.
// Reply {0 recorded | 1 duplicate, restriction started (0/1), facts} or {2, message}.
constexpr absl::string_view kRecordResponseBody = R"lua(
pair = short(ARGV[6])
local invitation = short(ARGV[10])
local code = tonumber(ARGV[11])
local at = math.min(tonumber(ARGV[12]), now)
local h = prune(invitation)
local record = nil
if h then record = h.record else record = call('HGET', KEYS[1], invitation) end
local fields = {invitation}  -- what this write sets in h, in one HSET: field, value, ...
if record then
  if sub(record, 8) ~= pair then
    return {2, 'the invitation is known with another recipient'}
  end
  -- Only IGNORED (2) -> REPORTED_UNKNOWN (4) -> REPORTED_SPAM (5) replaces a response.
  local flags, time = unpack6('>BI6', record)
  local old = flags % 8
  local rank = {[2] = 1, [4] = 2, [5] = 3}
  if old ~= 0 and not (rank[old] and rank[code] and rank[code] > rank[old]) then
    return {1, 0, facts(h)}
  end
  if flags % 16 >= SENT then
    if code == 1 and big then
      call('ZADD', KEYS[2], int(ACCEPTED + time), 'a' .. invitation)
    elseif code == 1 and time > acceptance_floor then
      h.accepted = h.accepted + 1
    end
  elseif at > time then
    -- Known only from a response: pruned by its latest responded_at.
    time = at
    if big then call('ZADD', KEYS[2], int(RESPONDED + at), invitation) end
  end
  -- flags % 16: a response clears the mark the invitation holds.
  fields[2] = string.char(flags % 16 - old + code) .. t6(time) .. pair
else
  -- Sent before the store knew it: recorded with its response, not counted as sent.
  fields[2] = string.char(code) .. t6(at) .. pair
  if big then call('ZADD', KEYS[2], int(RESPONDED + at), invitation) end
end
-- A "p" mark held by this invitation is cleared too.
if big then
  local held = nil
  if asked then held = head[3] else held = call('HGET', KEYS[1], 'p' .. pair) end
  if held == invitation then
    call('HDEL', KEYS[1], 'p' .. pair)
    if asked then head[3] = false end
  end
else
  if h.p == invitation then
    call('HDEL', KEYS[1], 'p' .. pair)
    h.p = nil
  end
  if h.mark == invitation then h.mark = nil end
  if not (h.mark or h.p) then h.pending = 0 end
end
if code == 3 then
  local field = 'w' .. pair
  local previous = nil
  if h then
    previous = h.withdrawn
  else
    previous = call('HGET', KEYS[1], field)
    if previous then previous = unpack6('>I6', previous) end
  end
  if not previous or at > previous then
    fields[#fields + 1] = field
    fields[#fields + 1] = t6(at)
    if big then call('ZADD', KEYS[2], int(WITHDRAWN + at), field) end
    if h then h.withdrawn = at end
    if asked then head[4] = t6(at) end
  end
elseif code >= 4 then
  local latest, spam = at, 0
  if code == 5 then spam = SPAM end
  local previous = tonumber(call('ZSCORE', KEYS[3], pair))
  if previous then
    if previous >= SPAM then
      spam = SPAM
      previous = previous - SPAM
    end
    latest = math.max(latest, previous)
  end
  call('ZADD', KEYS[3], int(latest + spam), pair)
end
if h then
  fields[#fields + 1] = 'c'
  fields[#fields + 1] = cache(h)
end
call('HSET', KEYS[1], unpack(fields))
local started = 0
if code >= 4 then
  local state = call('HMGET', KEYS[4], 'o', 'rs', 're', 'cs')
  if reports_in_window(state[4]) >= tonumber(ARGV[13]) and not restriction_active(state) then
    local offenses = (tonumber(state[1]) or 0) + 1
    local ending = 'inf'
    local step = 0
    for length in string.gmatch(ARGV[14], '%d+') do
      step = step + 1
      if step == offenses then ending = int(now + tonumber(length)) end
    end
    call('HSET', KEYS[4], 'o', int(offenses), 'rs', int(now), 're', ending, 'cs', int(now), 'why',
         ARGV[15])
    started = 1
  end
end
grow()
touch()
return {0, started, facts(h)}
)lua";

// Reply: facts.
constexpr absl::string_view kGetFactsBody = R"lua(
return facts()
)lua";

// ARGV 10 reason. Reply: facts.
constexpr absl::string_view kReleaseBody = R"lua(
local h = prune(nil)
if restriction_active(call('HMGET', KEYS[4], 'o', 'rs', 're')) then
  call('HSET', KEYS[4], 're', int(now))
end
call('HSET', KEYS[4], 'cs', int(now), 'why', ARGV[10])
touch()
return facts(h)
)lua";

// Reply: number of keys deleted.
constexpr absl::string_view kForgetBody = R"lua(
return redis.call('DEL', unpack(KEYS))
)lua";

constexpr absl::string_view kStoredInvitations = R"lua(
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
)lua";

constexpr const char* kKeySuffixes[] = {"h", "t", "r", "state"};
static_assert(std::size(kKeySuffixes) == kKeysPerSender);

std::string Sha1Hex(const std::string& text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 0xf]);
  }
  return hex;
}

}  // namespace

const std::vector<ScriptText>& Scripts() {
  static const std::vector<ScriptText>* scripts = [] {
    auto* all = new std::vector<ScriptText>;
    const std::string head = absl::StrCat("local SMALL_FIELDS = ", kSmallFields, "\n");
    const std::string reads = absl::StrCat(head, kCommon, kFacts);
    const std::string writes = absl::StrCat(reads, kWrites);
    std::pair<const char*, std::string> bodies[] = {
        {"record_invitation", absl::StrCat(writes, kRecordInvitationBody)},
        {"record_response", absl::StrCat(writes, kRecordResponseBody)},
        {"get_facts", absl::StrCat(reads, kGetFactsBody)},
        {"release", absl::StrCat(writes, kReleaseBody)},
        {"forget", std::string(kForgetBody)}};
    for (auto& [name, source] : bodies) {
      std::string sha = Sha1Hex(source);
      all->push_back(ScriptText{name, std::move(source), std::move(sha)});
    }
    return all;
  }();
  return *scripts;
}

const std::string& StoredInvitationsScript() {
  static const std::string* script = new std::string(kStoredInvitations);
  return *script;
}

std::vector<std::string> SenderKeys(const std::string& sender_id) {
  std::vector<std::string> keys;
  for (const char* suffix : kKeySuffixes) {
    keys.push_back(absl::StrCat("etq:{", sender_id, "}:", suffix));
  }
  return keys;
}

}  // namespace etiquette::redis_scripts
