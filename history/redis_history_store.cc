#include "history/redis_history_store.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdint>
#include <utility>

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
    return BadReply("facts are not an array of 12");
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
  for (const absl::Status& status : {start.status(), end.status(), reason.status(),
                                     reported.status(), withdrawn.status(), pending.status()}) {
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

// ---------------------------------------------------------------------------------------------
// Arguments: each operation's script call.

ScriptCall RedisHistoryStore::CallOf(Script script, const std::string& sender_id,
                                     std::vector<std::string> argv) {
  return ScriptCall{script, redis_scripts::SenderKeys(sender_id), std::move(argv)};
}

std::vector<std::string> RedisHistoryStore::CommonArgv(const StorePolicy& policy, absl::Time now,
                                                       const std::string& recipient_key) const {
  const absl::Duration longest = std::max({policy.report_window, policy.volume_window,
                                           policy.acceptance_window, policy.reinvite_cooldown});
  const absl::Duration rep_retention = ReporterRetention(policy);
  return {absl::StrCat(Millis(now)),
          absl::StrCat(Millis(policy.report_window)),
          absl::StrCat(Millis(policy.volume_window)),
          absl::StrCat(Millis(policy.acceptance_window)),
          absl::StrCat(Millis(policy.reinvite_cooldown)),
          recipient_key.empty() ? "" : redis_scripts::ShortName(recipient_key),
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
                                      std::string sender_id) {
  std::vector<ScriptCall> calls;
  calls.push_back(std::move(call));
  executor_->RunAsync(
      std::move(calls), deadline,
      [this, operation, start, deadline, sender_id = std::move(sender_id),
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
            unindex.push_back(ScriptCall{kIndex,
                                         {redis_scripts::IndexKey(redis_scripts::HexOf(*pair))},
                                         {"remove", sender_id}});
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
                                          const std::string& recipient_key, absl::Time now,
                                          const StorePolicy& policy, ScriptCall call,
                                          absl::Time deadline, StoreDone<WriteResult> done) {
  const std::string index = IndexKeyOf(recipient_key);
  const std::string keep = absl::StrCat(Millis(IndexRetention(policy)));
  call.argv.push_back(sender_id);
  call.argv.push_back(keep);
  if (!options_.cluster()) {
    call.keys.push_back(index);
    return RunWriteAsync(operation, std::move(call), deadline, std::move(done));
  }
  const absl::Time start = absl::Now();
  std::vector<ScriptCall> first;
  first.push_back(ScriptCall{kIndex, {index}, {"add", absl::StrCat(Millis(now)), sender_id, keep}});
  executor_->RunAsync(std::move(first), deadline,
                      [this, operation, start, deadline, call = std::move(call), sender_id,
                       done = std::move(done)](absl::StatusOr<std::vector<Reply>> replies) mutable {
                        if (!replies.ok()) {
                          Observe(operation, start, replies.status());
                          return done(replies.status());
                        }
                        RunWriteAsync(operation, std::move(call), deadline, std::move(done), start,
                                      sender_id);
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
    calls.push_back(
        CallOf(kGetFacts, query.sender_id, CommonArgv(policy, now, query.recipient_key)));
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
  scripts[kGetFacts].read_only = true;  // the one script that changes nothing
  executor_ = std::make_unique<redis::ScriptExecutor>(options_, std::move(scripts));
}

RedisHistoryStore::~RedisHistoryStore() = default;

std::vector<std::string> RedisHistoryStore::SenderKeys(const std::string& sender_id) {
  return redis_scripts::SenderKeys(sender_id);
}

std::string RedisHistoryStore::IndexKeyOf(const std::string& recipient_key) {
  return redis_scripts::IndexKey(redis_scripts::ShortName(recipient_key));
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
                                         const std::string& recipient_key, absl::Time sent_at,
                                         absl::Time now, absl::Time deadline,
                                         StoreDone<WriteResult> done) {
  if (absl::Status status = CheckSender(sender_id); !status.ok()) return done(status);
  const StorePolicy policy = std::atomic_load(&policy_)->policy;
  ScriptCall call = CallOf(kRecordInvitation, sender_id, CommonArgv(policy, now, recipient_key));
  call.argv.push_back(redis_scripts::ShortName(invitation_id));
  call.argv.push_back(absl::StrCat(Millis(sent_at)));
  RunPairWriteAsync("record_invitation", sender_id, recipient_key, now, policy, std::move(call),
                    deadline, std::move(done));
}

void RedisHistoryStore::RecordResponse(const std::string& sender_id,
                                       const std::string& invitation_id,
                                       const std::string& recipient_key,
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

void RedisHistoryStore::GetFacts(const std::string& sender_id, const std::string& recipient_key,
                                 absl::Time now, absl::Time deadline, StoreDone<SenderFacts> done) {
  RunGetFactsAsync("get_facts", {FactsQuery{sender_id, recipient_key}}, now, deadline,
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

void RedisHistoryStore::Forget(const std::string& member_id, const std::string& recipient_key,
                               absl::Time deadline, StoreDone<uint64_t> done) {
  if (absl::Status status = CheckSender(member_id); !status.ok()) return done(status);
  struct Progress {
    std::string member_id;
    std::string pair;   // the recipient key's short name (hex); empty: as a sender only
    std::string index;  // its index key
    absl::Time start;
    absl::Time deadline;
    uint64_t removed = 0;
    StoreDone<uint64_t> done;
  };
  auto progress = std::make_shared<Progress>();
  progress->member_id = member_id;
  if (!recipient_key.empty()) {
    progress->pair = redis_scripts::ShortName(recipient_key);
    progress->index = redis_scripts::IndexKey(progress->pair);
  }
  progress->start = absl::Now();
  progress->deadline = deadline;
  progress->done = std::move(done);
  auto finish = [this](const std::shared_ptr<Progress>& p, absl::Status status) {
    Observe("forget", p->start, status);
    if (!status.ok()) return p->done(status);
    p->done(p->removed);
  };

  // Round 1: the member's own keys, and the senders of its index.
  std::vector<ScriptCall> first;
  first.push_back(CallOf(kForget, member_id, {}));
  if (!progress->pair.empty()) {
    first.push_back(ScriptCall{kIndex, {progress->index}, {"read"}});
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
        // Round 2: the member out of its recipients' indexes; the pair at each sender of its own.
        std::vector<ScriptCall> second;
        for (size_t i = 1; i < own->elements; ++i) {
          absl::StatusOr<std::string> recipient = StringAt(own, i);
          if (!recipient.ok()) return finish(progress, recipient.status());
          second.push_back(ScriptCall{kIndex,
                                      {redis_scripts::IndexKey(redis_scripts::HexOf(*recipient))},
                                      {"remove", progress->member_id}});
        }
        const size_t pairs_from = second.size();
        // The senders of the member's index, for round 3.
        std::vector<std::string> forgotten_at = {"remove"};
        if (!progress->pair.empty()) {
          const redisReply* senders = (*replies)[1].get();
          if (senders->type != REDIS_REPLY_ARRAY) return finish(progress, BadReply("index read"));
          for (size_t i = 0; i < senders->elements; ++i) {
            absl::StatusOr<std::string> sender = StringAt(senders, i);
            if (!sender.ok()) return finish(progress, sender.status());
            forgotten_at.push_back(*sender);
            if (!CheckSender(*sender).ok() || *sender == progress->member_id) continue;
            second.push_back(CallOf(kForgetPair, *sender, {progress->pair}));
          }
        }
        // Round 3 (after round 2 succeeded, so that a retry finds the senders again): the
        // senders read leave the member's index (not the whole key: a sender that wrote about
        // the member since round 1 stays indexed; what it wrote is new data).
        auto third = [this, progress, finish, forgotten_at = std::move(forgotten_at)]() {
          if (forgotten_at.size() == 1) return finish(progress, absl::OkStatus());
          std::vector<ScriptCall> last;
          last.push_back(ScriptCall{kIndex, {progress->index}, forgotten_at});
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
