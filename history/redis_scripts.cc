#include "history/redis_scripts.h"

#include <openssl/sha.h>

#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace etiquette::redis_scripts {
namespace {

// ---------------------------------------------------------------------------------------------
// Lua. Every script is kScriptPrelude followed by its body.
//
// KEYS (all of one sender, same hash tag): 1 inv, 2 sent, 3 acc, 4 resp, 5 wd, 6 rep, 7 state.
// ARGV: 1 now, 2 report_window, 3 volume_window, 4 acceptance_window, 5 reinvite_cooldown,
//       6 recipient key ('' = no pair facts), 7 longest window, 8 retention,
//       9 rep retention (all times and durations in milliseconds), then the script's own.
//
// Windows use strict inequalities: an event counts when its time > now - window (and, for
// reports, > the clean slate). Scores are integers, so "> x" is the range "(x" (or ">= x + 1").
constexpr absl::string_view kScriptPrelude = R"lua(
local now = tonumber(ARGV[1])
local report_window = tonumber(ARGV[2])
local volume_window = tonumber(ARGV[3])
local acceptance_window = tonumber(ARGV[4])
local cooldown = tonumber(ARGV[5])
local rk = ARGV[6]

-- Integer text for arguments and stored values (never "1.7e+12").
local function int(x) return string.format('%d', x) end

-- state = HMGET state o rs re: active while rs <= now < re.
local function restriction_active(state)
  local rs = tonumber(state[2])
  if not rs or rs > now then return false end
  return state[3] == 'inf' or tonumber(state[3]) > now
end

local function facts()
  local state = redis.call('HMGET', KEYS[7], 'o', 'rs', 're', 'cs', 'why')
  local floor = now - report_window
  local clean_slate = tonumber(state[4])
  if clean_slate and clean_slate > floor then floor = clean_slate end
  -- rep scores are 2 * time + spam: time > floor <=> score >= 2 * floor + 2.
  local reporters = redis.call('ZRANGEBYSCORE', KEYS[6], int(2 * floor + 2), '+inf', 'WITHSCORES')
  local reports, spam = 0, 0
  for i = 2, #reporters, 2 do
    reports = reports + 1
    if tonumber(reporters[i]) % 2 == 1 then spam = spam + 1 end
  end
  local volume = redis.call('ZCOUNT', KEYS[2], '(' .. int(now - volume_window), '+inf')
  local sent = redis.call('ZCOUNT', KEYS[2], '(' .. int(now - acceptance_window), '+inf')
  local accepted = redis.call('ZCOUNT', KEYS[3], '(' .. int(now - acceptance_window), '+inf')
  local reported, withdrawn, pending = 0, '', 0
  if rk ~= '' then
    if redis.call('ZSCORE', KEYS[6], rk) then reported = 1 end
    local withdrawn_at = tonumber(redis.call('ZSCORE', KEYS[5], rk))
    if withdrawn_at and withdrawn_at > now - cooldown then withdrawn = int(withdrawn_at) end
    pending = redis.call('HEXISTS', KEYS[1], '@' .. rk)
  end
  return {reports, spam, volume, sent, accepted, tonumber(state[1]) or 0, state[2] or '',
          state[3] or '', state[5] or '', reported, withdrawn, pending}
end

-- Drops what no window can count any more. Pending marks stay until answered (or expiry).
local function prune()
  local cutoff = int(now - tonumber(ARGV[7]))
  for _, index in ipairs({KEYS[2], KEYS[4]}) do
    local old = redis.call('ZRANGEBYSCORE', index, '-inf', cutoff)
    for i = 1, #old, 1000 do
      redis.call('HDEL', KEYS[1], unpack(old, i, math.min(i + 999, #old)))
    end
    if #old > 0 then redis.call('ZREMRANGEBYSCORE', index, '-inf', cutoff) end
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', int(now - acceptance_window))
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', int(now - cooldown))
end

-- TTLs after a write (PEXPIRE/PERSIST on a missing key are no-ops). The state key has no TTL
-- while it holds an indefinite restriction: such a restriction lasts until an operator releases
-- it, and a TTL would let a sender who keeps quiet for `retention` walk out of jail (and lose
-- offense_count) by expiry. Release sets an end, and the next touch gives the TTL back.
local function touch()
  for i = 1, 5 do redis.call('PEXPIRE', KEYS[i], ARGV[8]) end
  redis.call('PEXPIRE', KEYS[6], ARGV[9])
  if redis.call('HGET', KEYS[7], 're') == 'inf' then
    redis.call('PERSIST', KEYS[7])
  else
    redis.call('PEXPIRE', KEYS[7], ARGV[8])
  end
end
)lua";

// ARGV 10 invitation id, 11 sent_at. Reply {0 recorded | 1 duplicate, 0, facts}.
constexpr absl::string_view kRecordInvitationBody = R"lua(
prune()
local invitation = ARGV[10]
if redis.call('HEXISTS', KEYS[1], invitation) == 1 then return {1, 0, facts()} end
local sent_at = math.min(tonumber(ARGV[11]), now)
redis.call('HSET', KEYS[1], invitation, '0' .. rk, '@' .. rk, invitation)
redis.call('ZADD', KEYS[2], int(sent_at), invitation)
touch()
return {0, 0, facts()}
)lua";

// ARGV 10 invitation id, 11 response code (1-5), 12 responded_at, 13 restrict_reports,
// 14 restriction ladder (lengths in ms, space-separated), 15 reason of a new restriction.
// Reply {0 recorded | 1 duplicate, restriction started (0/1), facts} or {2, message}.
constexpr absl::string_view kRecordResponseBody = R"lua(
prune()
local invitation = ARGV[10]
local code = tonumber(ARGV[11])
local at = math.min(tonumber(ARGV[12]), now)
local record = redis.call('HGET', KEYS[1], invitation)
if record then
  if string.sub(record, 2) ~= rk then
    return {2, 'the invitation is known with another recipient'}
  end
  -- Only IGNORED (2) -> REPORTED_UNKNOWN (4) -> REPORTED_SPAM (5) replaces a response.
  local old = tonumber(string.sub(record, 1, 1))
  local rank = {[2] = 1, [4] = 2, [5] = 3}
  if old ~= 0 and not (rank[old] and rank[code] and rank[code] > rank[old]) then
    return {1, 0, facts()}
  end
  if redis.call('ZSCORE', KEYS[4], invitation) then
    redis.call('ZADD', KEYS[4], 'GT', int(at), invitation)
  end
else
  -- Sent before the store knew it: recorded with its response, not counted as sent.
  redis.call('ZADD', KEYS[4], int(at), invitation)
end
redis.call('HSET', KEYS[1], invitation, code .. rk)
if redis.call('HGET', KEYS[1], '@' .. rk) == invitation then
  redis.call('HDEL', KEYS[1], '@' .. rk)
end
if code == 1 then
  local sent_at = redis.call('ZSCORE', KEYS[2], invitation)
  if sent_at then redis.call('ZADD', KEYS[3], sent_at, invitation) end
elseif code == 3 then
  redis.call('ZADD', KEYS[5], 'GT', int(at), rk)
elseif code >= 4 then
  local latest, spam = at, 0
  if code == 5 then spam = 1 end
  local previous = tonumber(redis.call('ZSCORE', KEYS[6], rk))
  if previous then
    latest = math.max(latest, math.floor(previous / 2))
    if previous % 2 == 1 then spam = 1 end
  end
  redis.call('ZADD', KEYS[6], int(2 * latest + spam), rk)
end
local started = 0
if code >= 4 then
  local state = redis.call('HMGET', KEYS[7], 'o', 'rs', 're')
  if facts()[1] >= tonumber(ARGV[13]) and not restriction_active(state) then
    local offenses = (tonumber(state[1]) or 0) + 1
    local ending = 'inf'
    local step = 0
    for length in string.gmatch(ARGV[14], '%d+') do
      step = step + 1
      if step == offenses then ending = int(now + tonumber(length)) end
    end
    redis.call('HSET', KEYS[7], 'o', int(offenses), 'rs', int(now), 're', ending, 'cs', int(now),
               'why', ARGV[15])
    started = 1
  end
end
touch()
return {0, started, facts()}
)lua";

// Reply: facts.
constexpr absl::string_view kGetFactsBody = R"lua(
return facts()
)lua";

// ARGV 10 reason. Reply: facts.
constexpr absl::string_view kReleaseBody = R"lua(
prune()
if restriction_active(redis.call('HMGET', KEYS[7], 'o', 'rs', 're')) then
  redis.call('HSET', KEYS[7], 're', int(now))
end
redis.call('HSET', KEYS[7], 'cs', int(now), 'why', ARGV[10])
touch()
return facts()
)lua";

// Reply: number of keys deleted.
constexpr absl::string_view kForgetBody = R"lua(
return redis.call('DEL', unpack(KEYS))
)lua";

constexpr const char* kKeySuffixes[] = {"inv", "sent", "acc", "resp", "wd", "rep", "state"};
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
    const std::pair<const char*, absl::string_view> bodies[] = {
        {"record_invitation", kRecordInvitationBody},
        {"record_response", kRecordResponseBody},
        {"get_facts", kGetFactsBody},
        {"release", kReleaseBody},
        {"forget", kForgetBody}};
    for (const auto& [name, body] : bodies) {
      std::string source = absl::StrCat(kScriptPrelude, body);
      std::string sha = Sha1Hex(source);
      all->push_back(ScriptText{name, std::move(source), std::move(sha)});
    }
    return all;
  }();
  return *scripts;
}

std::vector<std::string> SenderKeys(const std::string& sender_id) {
  std::vector<std::string> keys;
  for (const char* suffix : kKeySuffixes) {
    keys.push_back(absl::StrCat("etq:{", sender_id, "}:", suffix));
  }
  return keys;
}

}  // namespace etiquette::redis_scripts
