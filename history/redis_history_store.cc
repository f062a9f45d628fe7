#include "history/redis_history_store.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/ids.h"
#include "history/redis/reply.h"
#include "history/redis/script_executor.h"
#include "history/redis_scripts.h"
#include "history/standing.h"
#include "spdlog/spdlog.h"

namespace etiquette {

using redis::BadReply;
using redis::IntegerAt;
using redis::Reply;
using redis::ScriptCall;
using redis::StringAt;

namespace {

// The cap of records is not applied in small mode: small mode must stay below it.
static_assert(kMinRecordsPerSender > redis_scripts::kSmallFields + 8);

// Times travel as integer milliseconds, kept well inside the range Lua's doubles hold exactly.
constexpr int64_t kMaxMillis = int64_t{1} << 50;

int64_t ClampMillis(int64_t ms) { return std::clamp(ms, -kMaxMillis, kMaxMillis); }
int64_t Millis(absl::Time t) { return ClampMillis(absl::ToUnixMillis(t)); }
int64_t Millis(absl::Duration d) { return ClampMillis(absl::ToInt64Milliseconds(d)); }

// ---------------------------------------------------------------------------------------------
// Results: the replies of the scripts (see history/lua/) as the store's types.

// "" -> `absent`, "inf" -> InfiniteFuture, digits -> milliseconds.
absl::StatusOr<absl::Time> TimeFrom(const std::string& text, absl::Time absent) {
  if (text.empty()) return absent;
  if (text == "inf") return absl::InfiniteFuture();
  int64_t ms = 0;
  if (!absl::SimpleAtoi(text, &ms)) return BadReply("time not an integer");
  return absl::FromUnixMillis(ms);
}

absl::StatusOr<uint32_t> CountAt(const redisReply* array, size_t i) {
  absl::StatusOr<int64_t> value = IntegerAt(array, i);
  if (!value.ok()) return value.status();
  if (*value < 0 || *value > UINT32_MAX) return BadReply("count out of range");
  return static_cast<uint32_t>(*value);
}

// The facts() table of the prelude.
absl::StatusOr<SenderFacts> ParseFacts(const redisReply* reply) {
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != redis_scripts::kFactsSize) {
    return BadReply("facts are not an array of 13");
  }
  SenderFacts facts;
  uint32_t* const counts[] = {&facts.reports_in_window,
                              &facts.spam_reports_in_window,
                              &facts.invitations_in_volume_window,
                              &facts.sent_in_acceptance_window,
                              &facts.accepted_in_acceptance_window,
                              &facts.offense_count};
  for (size_t i = 0; i < 6; ++i) {
    absl::StatusOr<uint32_t> count = CountAt(reply, i);
    if (!count.ok()) return count.status();
    *counts[i] = *count;
  }
  absl::StatusOr<std::string> start = StringAt(reply, 6);
  absl::StatusOr<std::string> end = StringAt(reply, 7);
  absl::StatusOr<std::string> reason = StringAt(reply, 8);
  absl::StatusOr<int64_t> reported = IntegerAt(reply, 9);
  absl::StatusOr<std::string> withdrawn = StringAt(reply, 10);
  absl::StatusOr<int64_t> pending = IntegerAt(reply, 11);
  absl::StatusOr<uint32_t> near = CountAt(reply, 12);
  for (const absl::Status& status :
       {start.status(), end.status(), reason.status(), reported.status(), withdrawn.status(),
        pending.status(), near.status()}) {
    if (!status.ok()) return status;
  }
  absl::StatusOr<absl::Time> start_time = TimeFrom(*start, absl::InfinitePast());
  absl::StatusOr<absl::Time> end_time = TimeFrom(*end, absl::InfinitePast());
  absl::StatusOr<absl::Time> withdrawn_time = TimeFrom(*withdrawn, absl::InfinitePast());
  for (const absl::Status& status :
       {start_time.status(), end_time.status(), withdrawn_time.status()}) {
    if (!status.ok()) return status;
  }
  facts.restriction_start = *start_time;
  facts.restriction_end = *end_time;
  facts.reason = *std::move(reason);
  facts.recipient_reported_sender = *reported != 0;
  facts.withdrawn_at = *withdrawn_time;
  facts.pending = *pending != 0;
  facts.near_identical_notes = *near;
  return facts;
}

absl::StatusOr<WriteResult> ParseWrite(const redisReply* reply) {
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
      reply->element[0]->type != REDIS_REPLY_INTEGER) {
    return BadReply("write result");
  }
  const long long tag = reply->element[0]->integer;
  if (tag == 2) {
    absl::StatusOr<std::string> message = StringAt(reply, 1);
    if (!message.ok()) return message.status();
    return absl::InvalidArgumentError(*message);
  }
  if ((reply->elements != 3 && reply->elements != 4) || (tag != 0 && tag != 1)) {
    return BadReply("write result");
  }
  absl::StatusOr<int64_t> started = IntegerAt(reply, 1);
  if (!started.ok()) return started.status();
  absl::StatusOr<SenderFacts> facts = ParseFacts(reply->element[2]);
  if (!facts.ok()) return facts.status();
  WriteResult result;
  result.facts = *std::move(facts);
  result.duplicate = tag == 1;
  result.restriction_started = *started != 0;
  return result;
}

absl::Status CheckSender(const std::string& sender_id) {
  std::vector<std::string> errors;
  CheckId(sender_id, kMaxMemberIdBytes, "sender_id", &errors);
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(errors.front());
}

// The scripts as the executor runs them, in the order of Script; all writes (see the ctor).
std::vector<redis::LuaScript> LuaScripts() {
  std::vector<redis::LuaScript> scripts;
  for (const redis_scripts::ScriptText& text : redis_scripts::Scripts()) {
    scripts.push_back(redis::LuaScript{text.name, text.source, text.sha, false});
  }
  return scripts;
}

}  // namespace

// The recipient's short names under every key (hex, concatenated, the first key's first): ARGV 6
// of the scripts, ARGV 1 of forget_pair.lua; "" for none.
std::string ShortNames(const RecipientKeys& keys) {
  std::string names;
  for (const RecipientKeys::Hashed& hashed : keys.all) {
    absl::StrAppend(&names, redis_scripts::ShortName(hashed.key));
  }
  return names;
}

// The recipient's index under every key, the first key's first.
std::vector<std::string> IndexKeysOf(const RecipientKeys& keys) {
  std::vector<std::string> indexes;
  for (const RecipientKeys::Hashed& hashed : keys.all) {
    indexes.push_back(redis_scripts::IndexKey(hashed.key_id, redis_scripts::ShortName(hashed.key)));
  }
  return indexes;
}

// The index of the recipient whose short name is `pair` (8 bytes) under each key id.
std::vector<std::string> IndexKeysOfPair(const std::vector<std::string>& key_ids,
                                         const std::string& pair) {
  std::vector<std::string> indexes;
  for (const std::string& key_id : key_ids) {
    indexes.push_back(redis_scripts::IndexKey(key_id, redis_scripts::HexOf(pair)));
  }
  return indexes;
}

std::vector<std::string> KeyIdsOf(const RecipientKeys& keys) {
  std::vector<std::string> ids;
  for (const RecipientKeys::Hashed& hashed : keys.all) ids.push_back(hashed.key_id);
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Arguments: each operation's script call.

// A note fingerprint as the scripts take it: 16 hex digits, "" for none (0).
std::string FingerprintArg(uint64_t fingerprint) {
  if (fingerprint == 0) return "";
  return absl::StrCat(absl::Hex(fingerprint, absl::kZeroPad16));
}

ScriptCall RedisHistoryStore::CallOf(Script script, const std::string& sender_id,
                                     std::vector<std::string> argv) {
  return ScriptCall{script, redis_scripts::SenderKeys(sender_id), std::move(argv)};
}

std::vector<std::string> RedisHistoryStore::CommonArgv(const StorePolicy& policy, absl::Time now,
                                                       const RecipientKeys& recipient_key) const {
  const absl::Duration longest = std::max({policy.report_window, policy.volume_window,
                                           policy.acceptance_window, policy.reinvite_cooldown});
  const absl::Duration rep_retention = ReporterRetention(policy);
  return {absl::StrCat(Millis(now)),
          absl::StrCat(Millis(policy.report_window)),
          absl::StrCat(Millis(policy.volume_window)),
          absl::StrCat(Millis(policy.acceptance_window)),
          absl::StrCat(Millis(policy.reinvite_cooldown)),
          ShortNames(recipient_key),
          absl::StrCat(Millis(longest)),
          absl::StrCat(std::max<int64_t>(1, Millis(policy.retention))),
          absl::StrCat(std::max<int64_t>(1, Millis(rep_retention))),
          absl::StrCat(RecordsCap(policy))};
}

void RedisHistoryStore::Observe(const char* operation, absl::Time start,
                                const absl::Status& status) const {
  if (observer_ != nullptr) observer_->OnRedisCall(operation, absl::Now() - start, status);
}

void RedisHistoryStore::RunWriteAsync(const char* operation, ScriptCall call, absl::Time deadline,
                                      StoreDone<WriteResult> done, absl::Time start,
                                      std::string sender_id, std::vector<std::string> key_ids) {
  std::vector<ScriptCall> calls;
  calls.push_back(std::move(call));
  executor_->RunAsync(
      std::move(calls), deadline,
      [this, operation, start, deadline, sender_id = std::move(sender_id),
       key_ids = std::move(key_ids),
       done = std::move(done)](absl::StatusOr<std::vector<Reply>> replies) mutable {
        absl::StatusOr<WriteResult> result =
            replies.ok() ? ParseWrite((*replies)[0].get()) : replies.status();
        // Cluster: pairs the write dropped from the sender's x leave their indexes (track() in
        // prelude_writes.lua), before the write is acknowledged.
        std::vector<ScriptCall> unindex;
        if (result.ok() && !sender_id.empty() && (*replies)[0]->elements == 4) {
          const redisReply* dropped = (*replies)[0]->element[3];
          for (size_t i = 0; dropped->type == REDIS_REPLY_ARRAY && i < dropped->elements; ++i) {
            absl::StatusOr<std::string> pair = StringAt(dropped, i);
            if (!pair.ok()) {
              result = pair.status();
              break;
            }
            // The pair may be under any key: its index under each.
            for (std::string& index : IndexKeysOfPair(key_ids, *pair)) {
              unindex.push_back(ScriptCall{kIndex, {std::move(index)}, {"remove", sender_id}});
            }
          }
        }
        auto finish = [this, operation, start](absl::StatusOr<WriteResult> result,
                                               StoreDone<WriteResult>& done) {
          Observe(operation, start, result.status());
          if (result.ok() && result->restriction_started && observer_ != nullptr) {
            observer_->OnRestrictionStarted();
          }
          done(std::move(result));
        };
        if (unindex.empty() || !result.ok()) return finish(std::move(result), done);
        executor_->RunAsync(std::move(unindex), deadline,
                            [finish, result = std::move(result), done = std::move(done)](
                                absl::StatusOr<std::vector<Reply>> replies) mutable {
                              if (!replies.ok()) return finish(replies.status(), done);
                              finish(std::move(result), done);
                            });
      });
}

void RedisHistoryStore::RunPairWriteAsync(const char* operation, const std::string& sender_id,
                                          const RecipientKeys& recipient_key, absl::Time now,
                                          const StorePolicy& policy, ScriptCall call,
                                          absl::Time deadline, StoreDone<WriteResult> done) {
  std::vector<std::string> indexes = IndexKeysOf(recipient_key);
  const std::string keep = absl::StrCat(Millis(IndexRetention(policy)));
  call.argv.push_back(sender_id);
  call.argv.push_back(keep);
  if (!options_.cluster()) {
    // KEYS 7: the index under the first key; 8...: under the older ones (a key rotation).
    for (std::string& index : indexes) call.keys.push_back(std::move(index));
    return RunWriteAsync(operation, std::move(call), deadline, std::move(done));
  }
  const absl::Time start = absl::Now();
  std::vector<ScriptCall> first;
  first.push_back(
      ScriptCall{kIndex, {indexes[0]}, {"add", absl::StrCat(Millis(now)), sender_id, keep}});
  // A key rotation: the sender leaves the recipient's indexes under the older keys in the same
  // round (the write moves its data to the first key; until then, both are read: the index
  // under the first key names it already).
  for (size_t i = 1; i < indexes.size(); ++i) {
    first.push_back(ScriptCall{kIndex, {indexes[i]}, {"remove", sender_id}});
  }
  executor_->RunAsync(std::move(first), deadline,
                      [this, operation, start, deadline, call = std::move(call), sender_id,
                       key_ids = KeyIdsOf(recipient_key),
                       done = std::move(done)](absl::StatusOr<std::vector<Reply>> replies) mutable {
                        if (!replies.ok()) {
                          Observe(operation, start, replies.status());
                          return done(replies.status());
                        }
                        RunWriteAsync(operation, std::move(call), deadline, std::move(done), start,
                                      sender_id, std::move(key_ids));
                      });
}

void RedisHistoryStore::RunGetFactsAsync(const char* operation,
                                         const std::vector<FactsQuery>& queries, absl::Time now,
                                         absl::Time deadline,
                                         StoreDone<std::vector<SenderFacts>> done) {
  const StorePolicy policy = std::atomic_load(&policy_)->policy;
  std::vector<ScriptCall> calls;
  calls.reserve(queries.size());
  for (const FactsQuery& query : queries) {
    if (absl::Status status = CheckSender(query.sender_id); !status.ok()) return done(status);
    ScriptCall call =
        CallOf(kGetFacts, query.sender_id, CommonArgv(policy, now, query.recipient_key));
    call.argv.push_back(FingerprintArg(query.note_fingerprint));
    call.argv.push_back(absl::StrCat(policy.near_identical_max_distance));
    calls.push_back(std::move(call));
  }
  const absl::Time start = absl::Now();
  executor_->RunAsync(
      std::move(calls), deadline,
      [this, operation, start, done = std::move(done)](absl::StatusOr<std::vector<Reply>> replies) {
        absl::StatusOr<std::vector<SenderFacts>> result =
            [&]() -> absl::StatusOr<std::vector<SenderFacts>> {
          if (!replies.ok()) return replies.status();
          std::vector<SenderFacts> facts;
          facts.reserve(replies->size());
          for (const Reply& reply : *replies) {
            absl::StatusOr<SenderFacts> one = ParseFacts(reply.get());
            if (!one.ok()) return one.status();
            facts.push_back(*std::move(one));
          }
          return facts;
        }();
        Observe(operation, start, result.status());
        done(std::move(result));
      });
}

// ---------------------------------------------------------------------------------------------
// The public methods of RedisHistoryStore: each checks its arguments, builds its script call
// and hands it to the executor.

RedisHistoryStore::RedisHistoryStore(RedisOptions options, StorePolicy policy,
                                     RedisStoreObserver* observer)
    : options_(std::move(options)),
      policy_(std::make_shared<const PolicyState>(
          PolicyState{policy, standing::RestrictionReason(policy)})),
      observer_(observer) {
  // Hashes the scripts now rather than inside the first call's deadline.
  std::vector<redis::LuaScript> scripts = LuaScripts();
  scripts[kGetFacts].read_only = true;  // the scripts that change nothing
  scripts[kAuditList].read_only = true;
  executor_ = std::make_unique<redis::ScriptExecutor>(options_, std::move(scripts));
}

RedisHistoryStore::~RedisHistoryStore() = default;

std::vector<std::string> RedisHistoryStore::SenderKeys(const std::string& sender_id) {
  return redis_scripts::SenderKeys(sender_id);
}

std::string RedisHistoryStore::IndexKeyOf(const RecipientKeys& recipient_key) {
  return IndexKeysOf(recipient_key).at(0);
}

absl::Duration RedisHistoryStore::IndexRetention(const StorePolicy& policy) {
  // Pair data written at w stays at most until w + longest window + retention (records: pruned
  // by the first write past the window, else the key's TTL) or w + 2 * ReporterRetention
  // (reporters: pruned by a write past their retention, else the key's TTL set by a later
  // report); this bounds both.
  const absl::Duration longest = std::max({policy.report_window, policy.volume_window,
                                           policy.acceptance_window, policy.reinvite_cooldown});
  return 2 * ReporterRetention(policy) + longest;
}

void RedisHistoryStore::SetPolicy(const StorePolicy& policy) {
  std::atomic_store(&policy_, std::make_shared<const PolicyState>(
                                  PolicyState{policy, standing::RestrictionReason(policy)}));
}

void RedisHistoryStore::RecordInvitation(const std::string& sender_id,
                                         const std::string& invitation_id,
                                         const RecipientKeys& recipient_key, absl::Time sent_at,
                                         uint64_t note_fingerprint, absl::Time now,
                                         absl::Time deadline, StoreDone<WriteResult> done) {
  if (absl::Status status = CheckSender(sender_id); !status.ok()) return done(status);
  const StorePolicy policy = std::atomic_load(&policy_)->policy;
  ScriptCall call = CallOf(kRecordInvitation, sender_id, CommonArgv(policy, now, recipient_key));
  call.argv.push_back(redis_scripts::ShortName(invitation_id));
  call.argv.push_back(absl::StrCat(Millis(sent_at)));
  call.argv.push_back(FingerprintArg(note_fingerprint));
  call.argv.push_back(absl::StrCat(std::max<uint32_t>(1, policy.max_note_fingerprints)));
  RunPairWriteAsync("record_invitation", sender_id, recipient_key, now, policy, std::move(call),
                    deadline, std::move(done));
}

void RedisHistoryStore::RecordResponse(const std::string& sender_id,
                                       const std::string& invitation_id,
                                       const RecipientKeys& recipient_key,
                                       v1::InvitationResponse response, absl::Time responded_at,
                                       absl::Time now, absl::Time deadline,
                                       StoreDone<WriteResult> done) {
  if (absl::Status status = CheckSender(sender_id); !status.ok()) return done(status);
  if (response == v1::INVITATION_RESPONSE_UNSPECIFIED ||
      !v1::InvitationResponse_IsValid(response)) {
    return done(absl::InvalidArgumentError(
        absl::StrCat("response must be a known, specified InvitationResponse, got ",
                     static_cast<int>(response))));
  }
  const std::shared_ptr<const PolicyState> state = std::atomic_load(&policy_);
  std::vector<std::string> ladder;
  for (absl::Duration length : state->policy.restriction_ladder) {
    ladder.push_back(absl::StrCat(Millis(length)));
  }
  ScriptCall call =
      CallOf(kRecordResponse, sender_id, CommonArgv(state->policy, now, recipient_key));
  call.argv.push_back(redis_scripts::ShortName(invitation_id));
  call.argv.push_back(absl::StrCat(static_cast<int>(response)));
  call.argv.push_back(absl::StrCat(Millis(responded_at)));
  call.argv.push_back(absl::StrCat(state->policy.restrict_reports));
  call.argv.push_back(absl::StrJoin(ladder, " "));
  call.argv.push_back(state->restriction_reason);
  RunPairWriteAsync("record_response", sender_id, recipient_key, now, state->policy,
                    std::move(call), deadline, std::move(done));
}

void RedisHistoryStore::GetFacts(const FactsQuery& query, absl::Time now, absl::Time deadline,
                                 StoreDone<SenderFacts> done) {
  RunGetFactsAsync("get_facts", {query}, now, deadline,
                   [done = std::move(done)](absl::StatusOr<std::vector<SenderFacts>> facts) {
                     if (!facts.ok()) return done(facts.status());
                     done(std::move((*facts)[0]));
                   });
}

void RedisHistoryStore::BatchGetFacts(const std::vector<FactsQuery>& queries, absl::Time now,
                                      absl::Time deadline,
                                      StoreDone<std::vector<SenderFacts>> done) {
  if (queries.empty()) return done(std::vector<SenderFacts>());
  RunGetFactsAsync("batch_get_facts", queries, now, deadline, std::move(done));
}

void RedisHistoryStore::Release(const std::string& sender_id, const std::string& reason,
                                absl::Time now, absl::Time deadline, StoreDone<SenderFacts> done) {
  if (absl::Status status = CheckSender(sender_id); !status.ok()) return done(status);
  ScriptCall call =
      CallOf(kRelease, sender_id, CommonArgv(std::atomic_load(&policy_)->policy, now, ""));
  call.argv.push_back(reason);
  const absl::Time start = absl::Now();
  std::vector<ScriptCall> calls;
  calls.push_back(std::move(call));
  executor_->RunAsync(
      std::move(calls), deadline,
      [this, start, done = std::move(done)](absl::StatusOr<std::vector<Reply>> replies) {
        absl::StatusOr<SenderFacts> facts =
            replies.ok() ? ParseFacts((*replies)[0].get()) : replies.status();
        Observe("release", start, facts.status());
        done(std::move(facts));
      });
}

namespace {

// The stream fields of an audit entry (history/redis_scripts.h), in ARGV order.
std::vector<std::string> AuditFields(const AdminActionRecord& r) {
  return {"t",     absl::StrCat(Millis(r.time)),
          "admin", r.admin,
          "tok",   r.token_ref,
          "act",   r.action,
          "s",     r.sender_id,
          "why",   r.reason,
          "ref",   r.reason_ref,
          "tk",    r.ticket,
          "out",   r.outcome,
          "n",     absl::StrCat(r.records_removed)};
}

absl::StatusOr<AdminActionRecord> ParseAuditEntry(const redisReply* id, const redisReply* fields) {
  if (id->type != REDIS_REPLY_STRING || fields->type != REDIS_REPLY_ARRAY ||
      fields->elements % 2 != 0) {
    return BadReply("audit entry");
  }
  AdminActionRecord r;
  r.id = std::string(redis::ReplyText(id));
  for (size_t i = 0; i < fields->elements; i += 2) {
    absl::StatusOr<std::string> name = StringAt(fields, i);
    absl::StatusOr<std::string> value = StringAt(fields, i + 1);
    if (!name.ok()) return name.status();
    if (!value.ok()) return value.status();
    if (*name == "t") {
      int64_t ms = 0;
      if (!absl::SimpleAtoi(*value, &ms)) return BadReply("audit time");
      r.time = absl::FromUnixMillis(ms);
    } else if (*name == "n") {
      if (!absl::SimpleAtoi(*value, &r.records_removed)) return BadReply("audit count");
    } else if (*name == "ra") {
      if (!absl::SimpleAtoi(*value, &r.audit_entries_removed)) return BadReply("audit count");
    } else {
      std::string* const target = *name == "admin" ? &r.admin
                                  : *name == "tok" ? &r.token_ref
                                  : *name == "act" ? &r.action
                                  : *name == "s"   ? &r.sender_id
                                  : *name == "why" ? &r.reason
                                  : *name == "ref" ? &r.reason_ref
                                  : *name == "tk"  ? &r.ticket
                                  : *name == "out" ? &r.outcome
                                                   : nullptr;
      if (target != nullptr) *target = *std::move(value);  // unknown fields: a later version's
    }
  }
  return r;
}

absl::StatusOr<AdminActionsPage> ParseAuditPage(const redisReply* reply) {
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 1) return BadReply("audit page");
  absl::StatusOr<int64_t> more = IntegerAt(reply, 0);
  if (!more.ok()) return more.status();
  AdminActionsPage page;
  page.more = *more != 0;
  for (size_t i = 1; i < reply->elements; i += 2) {
    absl::StatusOr<AdminActionRecord> entry =
        ParseAuditEntry(reply->element[i], reply->element[i + 1]);
    if (!entry.ok()) return entry.status();
    page.actions.push_back(*std::move(entry));
  }
  return page;
}

// "<ms>-<seq>", both decimal: an entry id.
bool IsStreamId(const std::string& id) {
  const std::vector<std::string> parts = absl::StrSplit(id, '-');
  uint64_t n = 0;
  return parts.size() == 2 && absl::SimpleAtoi(parts[0], &n) && absl::SimpleAtoi(parts[1], &n) &&
         absl::c_all_of(id, [](char c) { return absl::ascii_isdigit(c) || c == '-'; });
}

}  // namespace

void RedisHistoryStore::AppendAdminAction(const AdminActionRecord& record,
                                          const std::string& erased_member, absl::Time deadline,
                                          StoreDone<AdminActionRecord> done) {
  const StorePolicy policy = std::atomic_load(&policy_)->policy;
  std::vector<std::string> argv = {
      absl::StrCat(std::max<uint32_t>(1, policy.admin_audit_max_entries)),
      absl::StrCat(std::max<int64_t>(0, Millis(record.time))),
      absl::StrCat(std::max<int64_t>(0, Millis(record.time - policy.admin_audit_retention))),
      erased_member};
  for (std::string& field : AuditFields(record)) argv.push_back(std::move(field));
  std::vector<ScriptCall> calls;
  calls.push_back(ScriptCall{kAuditAppend, {redis_scripts::kAdminAuditKey}, std::move(argv)});
  const absl::Time start = absl::Now();
  executor_->RunAsync(std::move(calls), deadline,
                      [this, start, stored = record,
                       done = std::move(done)](absl::StatusOr<std::vector<Reply>> replies) mutable {
                        absl::Status status = replies.status();
                        if (status.ok()) {
                          const redisReply* reply = (*replies)[0].get();
                          absl::StatusOr<int64_t> removed =
                              reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
                                      reply->element[0]->type == REDIS_REPLY_STRING
                                  ? IntegerAt(reply, 1)
                                  : BadReply("audit append");
                          if (removed.ok()) {
                            stored.id = std::string(redis::ReplyText(reply->element[0]));
                            stored.audit_entries_removed = static_cast<uint64_t>(*removed);
                          }
                          status = removed.status();
                        }
                        Observe("audit_append", start, status);
                        if (!status.ok()) return done(status);
                        done(std::move(stored));
                      });
}

void RedisHistoryStore::ListAdminActions(const AdminActionsQuery& query, absl::Time deadline,
                                         StoreDone<AdminActionsPage> done) {
  if (!query.before_id.empty() && !IsStreamId(query.before_id)) {
    return done(absl::InvalidArgumentError("page_token: not a token of this server"));
  }
  const int64_t lower =
      query.not_before == absl::InfinitePast() ? 0 : std::max<int64_t>(0, Millis(query.not_before));
  std::vector<ScriptCall> calls;
  calls.push_back(
      ScriptCall{kAuditList,
                 {redis_scripts::kAdminAuditKey},
                 {query.before_id.empty() ? "+" : absl::StrCat("(", query.before_id),
                  absl::StrCat(lower), absl::StrCat(std::max(1, query.limit)), query.sender_id}});
  const absl::Time start = absl::Now();
  executor_->RunAsync(
      std::move(calls), deadline,
      [this, start, done = std::move(done)](absl::StatusOr<std::vector<Reply>> replies) {
        absl::StatusOr<AdminActionsPage> page =
            replies.ok() ? ParseAuditPage((*replies)[0].get()) : replies.status();
        Observe("audit_list", start, page.status());
        done(std::move(page));
      });
}

void RedisHistoryStore::Forget(const std::string& member_id, const RecipientKeys& recipient_key,
                               absl::Time deadline, StoreDone<uint64_t> done) {
  if (absl::Status status = CheckSender(member_id); !status.ok()) return done(status);
  struct Progress {
    std::string member_id;
    std::string pairs;  // its short names under every key (hex); empty: as a sender only
    std::vector<std::string> indexes;  // its index under every key
    std::vector<std::string> key_ids;  // at least one ("": no id) for the recipients' indexes
    absl::Time start;
    absl::Time deadline;
    uint64_t removed = 0;
    StoreDone<uint64_t> done;
  };
  auto progress = std::make_shared<Progress>();
  progress->member_id = member_id;
  progress->pairs = ShortNames(recipient_key);
  progress->indexes = IndexKeysOf(recipient_key);
  progress->key_ids = KeyIdsOf(recipient_key);
  if (progress->key_ids.empty()) progress->key_ids.push_back("");
  progress->start = absl::Now();
  progress->deadline = deadline;
  progress->done = std::move(done);
  auto finish = [this](const std::shared_ptr<Progress>& p, absl::Status status) {
    Observe("forget", p->start, status);
    if (!status.ok()) return p->done(status);
    p->done(p->removed);
  };

  // Round 1: the member's own keys, and the senders of its index under every key.
  std::vector<ScriptCall> first;
  first.push_back(CallOf(kForget, member_id, {}));
  for (const std::string& index : progress->indexes) {
    first.push_back(ScriptCall{kIndex, {index}, {"read"}});
  }
  executor_->RunAsync(
      std::move(first), deadline,
      [this, progress, finish](absl::StatusOr<std::vector<Reply>> replies) {
        if (!replies.ok()) return finish(progress, replies.status());
        const redisReply* own = (*replies)[0].get();
        if (own->type != REDIS_REPLY_ARRAY || own->elements < 1) {
          return finish(progress, BadReply("forget"));
        }
        absl::StatusOr<int64_t> removed = IntegerAt(own, 0);
        if (!removed.ok()) return finish(progress, removed.status());
        progress->removed = static_cast<uint64_t>(*removed);
        // Round 2: the member out of its recipients' indexes (under every key: the short name
        // does not say which key made it); the pair at each sender of its own indexes.
        std::vector<ScriptCall> second;
        for (size_t i = 1; i < own->elements; ++i) {
          absl::StatusOr<std::string> recipient = StringAt(own, i);
          if (!recipient.ok()) return finish(progress, recipient.status());
          for (std::string& index : IndexKeysOfPair(progress->key_ids, *recipient)) {
            second.push_back(
                ScriptCall{kIndex, {std::move(index)}, {"remove", progress->member_id}});
          }
        }
        const size_t pairs_from = second.size();
        // The senders read from each index, for round 3.
        std::vector<std::vector<std::string>> forgotten_at(progress->indexes.size(),
                                                           std::vector<std::string>{"remove"});
        std::vector<std::string> senders_seen;
        for (size_t k = 0; k < progress->indexes.size(); ++k) {
          const redisReply* senders = (*replies)[1 + k].get();
          if (senders->type != REDIS_REPLY_ARRAY) return finish(progress, BadReply("index read"));
          for (size_t i = 0; i < senders->elements; ++i) {
            absl::StatusOr<std::string> sender = StringAt(senders, i);
            if (!sender.ok()) return finish(progress, sender.status());
            forgotten_at[k].push_back(*sender);
            if (!CheckSender(*sender).ok() || *sender == progress->member_id) continue;
            if (std::find(senders_seen.begin(), senders_seen.end(), *sender) !=
                senders_seen.end()) {
              continue;  // in the indexes of two keys (a rotation): forgotten once
            }
            senders_seen.push_back(*sender);
            second.push_back(CallOf(kForgetPair, *sender, {progress->pairs}));
          }
        }
        // Round 3 (after round 2 succeeded, so that a retry finds the senders again): the
        // senders read leave the member's indexes (not the whole key: a sender that wrote about
        // the member since round 1 stays indexed; what it wrote is new data).
        auto third = [this, progress, finish, forgotten_at = std::move(forgotten_at)]() {
          std::vector<ScriptCall> last;
          for (size_t k = 0; k < forgotten_at.size(); ++k) {
            if (forgotten_at[k].size() == 1) continue;
            last.push_back(ScriptCall{kIndex, {progress->indexes[k]}, forgotten_at[k]});
          }
          if (last.empty()) return finish(progress, absl::OkStatus());
          executor_->RunAsync(std::move(last), progress->deadline,
                              [progress, finish](absl::StatusOr<std::vector<Reply>> replies) {
                                finish(progress, replies.status());
                              });
        };
        if (second.empty()) return third();
        executor_->RunAsync(
            std::move(second), progress->deadline,
            [progress, finish, third, pairs_from](absl::StatusOr<std::vector<Reply>> replies) {
              if (!replies.ok()) return finish(progress, replies.status());
              for (size_t i = pairs_from; i < replies->size(); ++i) {
                const redisReply* reply = (*replies)[i].get();
                if (reply->type != REDIS_REPLY_INTEGER || reply->integer < 0) {
                  return finish(progress, BadReply("forget_pair"));
                }
                progress->removed += static_cast<uint64_t>(reply->integer);
              }
              third();
            });
      });
}

void RedisHistoryStore::Rekey(const RecipientKeys& recipient_key, absl::Time now,
                              absl::Time deadline, StoreDone<RekeyResult> done) {
  if (recipient_key.all.size() < 2) return done(RekeyResult{});
  struct Progress {
    RecipientKeys keys;
    std::vector<std::string> indexes;
    std::vector<std::string> senders;            // every index's, once each
    std::vector<std::vector<std::string>> read;  // per older index: "remove", senders
    absl::Time now;
    absl::Time deadline;
    absl::Time start;
    RekeyResult result;
    StoreDone<RekeyResult> done;
  };
  auto progress = std::make_shared<Progress>();
  progress->keys = recipient_key;
  progress->indexes = IndexKeysOf(recipient_key);
  progress->now = now;
  progress->deadline = deadline;
  progress->start = absl::Now();
  progress->done = std::move(done);
  auto finish = [this](const std::shared_ptr<Progress>& p, absl::Status status) {
    Observe("rekey", p->start, status);
    if (!status.ok()) return p->done(status);
    p->done(p->result);
  };
  // Round 1: the senders of every index (with the older ones' scores).
  std::vector<ScriptCall> first;
  for (const std::string& index : progress->indexes) {
    first.push_back(ScriptCall{kIndex, {index}, {"read"}});
  }
  executor_->RunAsync(
      std::move(first), deadline,
      [this, progress, finish](absl::StatusOr<std::vector<Reply>> replies) {
        if (!replies.ok()) return finish(progress, replies.status());
        bool old_entries = false;
        for (size_t k = 0; k < replies->size(); ++k) {
          const redisReply* senders = (*replies)[k].get();
          if (senders->type != REDIS_REPLY_ARRAY) return finish(progress, BadReply("index read"));
          if (k > 0) progress->read.push_back({"remove"});
          for (size_t i = 0; i < senders->elements; ++i) {
            absl::StatusOr<std::string> sender = StringAt(senders, i);
            if (!sender.ok()) return finish(progress, sender.status());
            if (k > 0) {
              progress->read.back().push_back(*sender);
              old_entries = true;
            }
            if (!CheckSender(*sender).ok()) continue;
            if (std::find(progress->senders.begin(), progress->senders.end(), *sender) ==
                progress->senders.end()) {
              progress->senders.push_back(*sender);
            }
          }
        }
        // Nothing under an older key's index: nothing to move (a write moved it, and took the
        // sender out of the older index).
        if (!old_entries) return finish(progress, absl::OkStatus());
        // Round 2: every sender into the index under the first key (before its data moves
        // there, so that the index never misses it), then round 3: the data moves at each
        // sender, then round 4: the senders read leave the older indexes.
        const StorePolicy policy = std::atomic_load(&policy_)->policy;
        const std::string keep = absl::StrCat(Millis(IndexRetention(policy)));
        std::vector<ScriptCall> second;
        for (const std::string& sender : progress->senders) {
          second.push_back(ScriptCall{kIndex,
                                      {progress->indexes[0]},
                                      {"add", absl::StrCat(Millis(progress->now)), sender, keep}});
        }
        executor_->RunAsync(
            std::move(second), progress->deadline,
            [this, progress, finish, policy](absl::StatusOr<std::vector<Reply>> replies) {
              if (!replies.ok()) return finish(progress, replies.status());
              std::vector<ScriptCall> third;
              for (const std::string& sender : progress->senders) {
                third.push_back(
                    CallOf(kRekey, sender, CommonArgv(policy, progress->now, progress->keys)));
              }
              executor_->RunAsync(
                  std::move(third), progress->deadline,
                  [this, progress, finish](absl::StatusOr<std::vector<Reply>> replies) {
                    if (!replies.ok()) return finish(progress, replies.status());
                    for (const Reply& reply : *replies) {
                      if (reply->type != REDIS_REPLY_INTEGER || reply->integer < 0) {
                        return finish(progress, BadReply("rekey"));
                      }
                      progress->result.pairs_moved += static_cast<uint64_t>(reply->integer);
                    }
                    progress->result.senders = progress->senders.size();
                    std::vector<ScriptCall> last;
                    for (size_t k = 0; k < progress->read.size(); ++k) {
                      if (progress->read[k].size() == 1) continue;
                      last.push_back(
                          ScriptCall{kIndex, {progress->indexes[k + 1]}, progress->read[k]});
                    }
                    executor_->RunAsync(
                        std::move(last), progress->deadline,
                        [progress, finish](absl::StatusOr<std::vector<Reply>> replies) {
                          finish(progress, replies.status());
                        });
                  });
            });
      });
}

double MemoryUsedRatio(const std::string& info) {
  double used = 0;
  double max = 0;
  for (absl::string_view line : absl::StrSplit(info, '\n')) {
    line = absl::StripTrailingAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "used_memory:")) {
      if (!absl::SimpleAtod(line, &used)) used = 0;
    } else if (absl::ConsumePrefix(&line, "maxmemory:")) {
      if (!absl::SimpleAtod(line, &max)) max = 0;
    }
  }
  return max > 0 ? used / max : 0;
}

absl::Status RedisHistoryStore::Ping() {
  const absl::Time start = absl::Now();
  absl::Status status = executor_->Ping();
  Observe("ping", start, status);
  if (!status.ok()) return status;
  // Memory: not part of health (a full Redis still answers reads), but watched.
  absl::StatusOr<std::vector<std::string>> infos = executor_->TextOfMasters({"INFO", "memory"});
  if (!infos.ok()) return status;
  double ratio = 0;
  for (const std::string& info : *infos) ratio = std::max(ratio, MemoryUsedRatio(info));
  if (observer_ != nullptr) observer_->OnRedisMemory(ratio);
  const bool high = ratio > kRedisMemoryWarningRatio;
  if (high != memory_high_.exchange(high)) {
    if (high) {
      spdlog::warn(
          "redis memory at {:.0f}% of maxmemory (warning above {:.0f}%): writes fail at "
          "100% (noeviction)",
          ratio * 100, kRedisMemoryWarningRatio * 100);
    } else {
      spdlog::info("redis memory back at {:.0f}% of maxmemory", ratio * 100);
    }
  }
  return status;
}

}  // namespace etiquette
