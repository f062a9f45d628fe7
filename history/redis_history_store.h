#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "etiquette/v1/history.pb.h"
#include "history/history_store.h"
#include "history/redis_url.h"

struct redisReply;  // hiredis

namespace etiquette {

// HistoryStore on Redis (hiredis, synchronous, a small connection pool).
//
// Keys of one sender S, all under the hash tag {S} so that every script touches one slot
// (Redis Cluster works unchanged). Times are integer Unix milliseconds; `rk` is a recipient key.
//
//   etq:{S}:inv    HASH  <invitation id> -> "<code><rk>": every invitation the store knows, with
//                        the code of its recorded response (0 = none yet, else the
//                        v1::InvitationResponse number); "@<rk>" -> <invitation id>: the pair's
//                        pending mark and the invitation it belongs to ('@' is not an id char).
//   etq:{S}:sent   ZSET  <invitation id> -> sent_at, for invitations recorded as sent: the volume
//                        and acceptance windows are ZCOUNTs.
//   etq:{S}:acc    ZSET  <invitation id> -> sent_at, the accepted ones among them.
//   etq:{S}:resp   ZSET  <invitation id> -> latest responded_at, for invitations known only from
//                        a response (not counted as sent); used to prune them.
//   etq:{S}:wd     ZSET  rk -> latest WITHDRAWN responded_at (the pair's cool-down).
//   etq:{S}:rep    ZSET  rk -> 2 * latest report time + (1 if the recipient ever chose
//                        REPORTED_SPAM): reporters, kept for good (no pruning); counting the
//                        window is one ZRANGEBYSCORE.
//   etq:{S}:state  HASH  o (offense_count), rs / re (latest restriction start / end, re "inf"
//                        when indefinite), cs (clean slate), why (reason).
//
// TTLs, refreshed by every write that records something: policy.retention on all keys, except
// rep (max(retention, reported_pair_retention): reporters stay blocked longer) and state while
// it holds an indefinite restriction (no TTL, see touch() in the .cc). Every write first prunes
// what no window can count any more: invitation records whose sent_at (for those known only
// from a response: latest responded_at) is at or before now - (longest window), with their
// index entries; accepted entries outside the acceptance window; withdrawals outside the
// cool-down. Pending marks and reporters stay (until answered / for good, within the TTL). Keys
// left empty disappear, so an unused kind of key costs nothing. (InMemoryHistoryStore keeps a
// sent invitation while its responded_at is recent too; no contract test depends on it.)
//
// Every method is one EVALSHA of a Lua script (BatchGetFacts: one pipelined round trip of
// EVALSHAs). Scripts are loaded with SCRIPT LOAD on first use and again after NOSCRIPT (e.g.
// after a Redis restart), then the call is retried once. Nothing uses Redis TIME: `now` and the
// policy travel as arguments.
//
// Errors: UNAVAILABLE when Redis cannot be reached within options.timeout (connect, I/O,
// timeout, LOADING/BUSY replies); the connection is then dropped and the next call reconnects.
// INTERNAL for other error replies or a reply of the wrong shape. Thread-safe.
class RedisHistoryStore final : public HistoryStore {
 public:
  // Never blocks: connections are opened on first use.
  RedisHistoryStore(RedisOptions options, StorePolicy policy);
  ~RedisHistoryStore() override;

  RedisHistoryStore(const RedisHistoryStore&) = delete;
  RedisHistoryStore& operator=(const RedisHistoryStore&) = delete;

  absl::StatusOr<WriteResult> RecordInvitation(const std::string& sender_id,
                                               const std::string& invitation_id,
                                               const std::string& recipient_key, absl::Time sent_at,
                                               absl::Time now) override;
  absl::StatusOr<WriteResult> RecordResponse(const std::string& sender_id,
                                             const std::string& invitation_id,
                                             const std::string& recipient_key,
                                             v1::InvitationResponse response,
                                             absl::Time responded_at, absl::Time now) override;
  absl::StatusOr<SenderFacts> GetFacts(const std::string& sender_id,
                                       const std::string& recipient_key, absl::Time now) override;
  absl::StatusOr<std::vector<SenderFacts>> BatchGetFacts(const std::vector<FactsQuery>& queries,
                                                         absl::Time now) override;
  absl::StatusOr<SenderFacts> Release(const std::string& sender_id, const std::string& reason,
                                      absl::Time now) override;
  absl::Status Forget(const std::string& sender_id) override;
  absl::Status Ping() override;

  // The keys of `sender_id` in KEYS order of every script (exposed for tests and operators).
  static std::vector<std::string> SenderKeys(const std::string& sender_id);

 private:
  class Pool;
  class Lease;
  struct ReplyDeleter {
    void operator()(redisReply* reply) const;
  };
  using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

  enum Script { kRecordInvitation = 0, kRecordResponse, kGetFacts, kRelease, kForget, kScripts };
  struct ScriptCall {
    Script script;
    std::string sender_id;
    std::vector<std::string> argv;
  };

  // Runs the calls as one pipeline on one pooled connection; one reply per call, in order.
  absl::StatusOr<std::vector<Reply>> Run(const std::vector<ScriptCall>& calls);
  // ARGV[1..9] shared by every script (see kScriptPrelude in the .cc).
  std::vector<std::string> CommonArgv(absl::Time now, const std::string& recipient_key) const;
  absl::StatusOr<WriteResult> RunWrite(ScriptCall call);
  // Logs transitions between reachable and unreachable, once each.
  absl::Status NoteOutcome(absl::Status status);

  const RedisOptions options_;
  const StorePolicy policy_;
  const std::string restriction_reason_;
  std::unique_ptr<Pool> pool_;
  std::array<std::atomic<bool>, kScripts> loaded_{};
  std::atomic<bool> reachable_{true};
};

}  // namespace etiquette
