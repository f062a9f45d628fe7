#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "etiquette/v1/history.pb.h"
#include "history/history_store.h"
#include "history/redis/redis_options.h"

namespace etiquette {

namespace redis {
class ScriptExecutor;
struct ScriptCall;
}  // namespace redis

// What a RedisHistoryStore reports, for metrics. Called on the calling thread, from any number
// of threads at once; must not block.
class RedisStoreObserver {
 public:
  virtual ~RedisStoreObserver() = default;

  // One store operation that went to Redis: "record_invitation", "record_response",
  // "get_facts", "batch_get_facts", "release", "forget", "rekey", "audit_append", "audit_list"
  // or "ping"; the time it took
  // (waiting for a pooled connection, connecting, script loading and the NOSCRIPT retry included)
  // and what it answered. Operations refused before any Redis call (a malformed sender id) are not
  // reported.
  virtual void OnRedisCall(const char* operation, absl::Duration elapsed,
                           const absl::Status& status) = 0;
  // A RecordResponse that started a restriction (WriteResult::restriction_started).
  virtual void OnRestrictionStarted() = 0;
  // After a successful Ping: used_memory / maxmemory of the fullest master (INFO memory), 0
  // when no master sets maxmemory.
  virtual void OnRedisMemory(double used_ratio) { (void)used_ratio; }
};

// Above this share of maxmemory on any master, Ping logs a warning (once, and once when back
// under it). Redis runs noeviction (deploy/base/redis/redis.conf): at 100% every write fails.
inline constexpr double kRedisMemoryWarningRatio = 0.8;

// used_memory / maxmemory of an INFO memory text; 0 when maxmemory is 0 (no limit), or when a
// field is missing.
double MemoryUsedRatio(const std::string& info);

// What RedisHistoryStore::Rekey did for one recipient.
struct RekeyResult {
  uint64_t senders = 0;      // senders found in the recipient's indexes (0: nothing to move)
  uint64_t pairs_moved = 0;  // of their pairs, those that had data under an older key
};

// HistoryStore on Redis (hiredis). This class builds each operation's script call (KEYS and
// ARGV) and parses its reply; the client it runs them with is in history/redis/ (reply,
// pipelined_connection, node, cluster_router, script_executor). Calls share options.connections
// pipelined connections per node for reads and as many for writes: each connection's I/O thread
// writes every request queued since its previous round back to back, then reads the replies.
//
// Key layout, TTLs and pruning: see history/redis_scripts.h.
//
// Every method is one EVALSHA of a Lua script (BatchGetFacts: one pipelined round trip of
// EVALSHAs). Scripts are loaded with SCRIPT LOAD on first use and again after NOSCRIPT (e.g.
// after a Redis restart), then the call is retried once. Nothing uses Redis TIME: `now` and the
// policy travel as arguments.
//
// options.wait_replicas > 0: each round of writes on a connection ends with one WAIT, and its
// writes are acknowledged only when enough replicas have them (else all of them answer
// UNAVAILABLE, and their retries count once).
//
// Errors: UNAVAILABLE when Redis cannot be reached within options.timeout (reads, connecting)
// or options.write_timeout (writes), or the caller's deadline if sooner (connect, I/O,
// timeout, LOADING/BUSY/TRYAGAIN/CLUSTERDOWN replies); after an I/O error or timeout the
// connection is dropped (the calls of that round fail) and the next round reconnects. INTERNAL for
// other error replies or a reply of the wrong shape. Thread-safe.
//
// Redis Cluster (options.cluster(), redis-cluster://): the store learns the slot map with
// CLUSTER SLOTS from any seed (on first use, not in the constructor), routes each sender's
// script to the master of the slot of {sender} (RedisKeySlot, history/redis/key_slot.h) over a
// connection pool per node, and loads the scripts on each master it uses. MOVED: the slot is
// reassigned in the map at once, the whole map is marked stale, and the call is sent again to
// the new master. ASK: ASKING and the call are sent to the given node, once, the map is left
// alone. TRYAGAIN (a slot being migrated while a sender's keys are split or missing): the call
// is sent again after a short pause. A redirected or retried script never ran, so nothing runs
// twice. A connection error marks the map stale and the node suspect; the next call refreshes
// the map (CLUSTER SLOTS, healthy nodes first, then the seeds; at most every 100 ms) before
// routing, which is how a failover is followed. All of it within the call's one timeout.
// BatchGetFacts groups the queries by master: one pipeline per master, all of them written
// before any reply is read (the round trips overlap), one EVALSHA per query. Ping answers OK
// when every master of the map answers PING.
class RedisHistoryStore final : public HistoryStore {
 public:
  // Never blocks: connections are opened on first use. `observer` (null: none) sees every
  // operation's duration and outcome; it must outlive the store.
  RedisHistoryStore(RedisOptions options, StorePolicy policy,
                    RedisStoreObserver* observer = nullptr);
  // Only once no call is in flight (asynchronous ones included).
  ~RedisHistoryStore() override;

  RedisHistoryStore(const RedisHistoryStore&) = delete;
  RedisHistoryStore& operator=(const RedisHistoryStore&) = delete;

  using HistoryStore::GetFacts;
  using HistoryStore::RecordInvitation;
  void RecordInvitation(const std::string& sender_id, const std::string& invitation_id,
                        const RecipientKeys& recipient_key, absl::Time sent_at,
                        uint64_t note_fingerprint, absl::Time now, absl::Time deadline,
                        StoreDone<WriteResult> done) override;
  void RecordResponse(const std::string& sender_id, const std::string& invitation_id,
                      const RecipientKeys& recipient_key, v1::InvitationResponse response,
                      absl::Time responded_at, absl::Time now, absl::Time deadline,
                      StoreDone<WriteResult> done) override;
  void GetFacts(const FactsQuery& query, absl::Time now, absl::Time deadline,
                StoreDone<SenderFacts> done) override;
  void BatchGetFacts(const std::vector<FactsQuery>& queries, absl::Time now, absl::Time deadline,
                     StoreDone<std::vector<SenderFacts>> done) override;
  void Release(const std::string& sender_id, const std::string& reason, absl::Time now,
               absl::Time deadline, StoreDone<SenderFacts> done) override;
  // Three rounds (see history/redis_scripts.h): the member's keys (forget.lua) and its index
  // read; the member out of its recipients' indexes and the pair forgotten at each sender of
  // its index (forget_pair.lua); those senders out of its index (when it had any). During a key
  // rotation (several keys in `recipient_key`): its index under each key, its recipients'
  // indexes under each key id, every name of the pair at each sender; still three rounds.
  void Forget(const std::string& member_id, const RecipientKeys& recipient_key, absl::Time deadline,
              StoreDone<uint64_t> done) override;
  // The key-rotation pass for one recipient (docs/key-rotation.md): every sender in the
  // recipient's indexes under any key gets its pair's data under the older keys moved to the
  // first (rekey.lua), and leaves the indexes under the older keys. Nothing to do (one round
  // trip) when no older index names a sender. Four rounds otherwise: the indexes read; the
  // senders into the first key's index; the data moved at each; the older indexes emptied of
  // the senders read. Idempotent; safe while writes go on.
  void Rekey(const RecipientKeys& recipient_key, absl::Time now, absl::Time deadline,
             StoreDone<RekeyResult> done);
  // The admin audit trail: one stream, etq:{admin-audit}:log (history/redis_scripts.h); an
  // append is one EVALSHA (audit_append.lua: XADD, trimmed by count and age; with an erased
  // member, its XDELs first, after a scan of the capped stream), a page one
  // EVALSHA (audit_list.lua, read-only: XREVRANGE).
  void AppendAdminAction(const AdminActionRecord& record, const std::string& erased_member,
                         absl::Time deadline, StoreDone<AdminActionRecord> done) override;
  void ListAdminActions(const AdminActionsQuery& query, absl::Time deadline,
                        StoreDone<AdminActionsPage> done) override;
  // PING on every master, then (when they answer) INFO memory on every master: the highest
  // used ratio goes to the observer (OnRedisMemory), and a warning is logged when it crosses
  // kRedisMemoryWarningRatio (once each way).
  absl::Status Ping() override;
  void SetPolicy(const StorePolicy& policy) override;

  // The keys of `sender_id` in KEYS order of every script (exposed for tests and operators).
  static std::vector<std::string> SenderKeys(const std::string& sender_id);
  // The index key of the recipient whose keyed hash is `recipient_key` (for tests).
  static std::string IndexKeyOf(const RecipientKeys& recipient_key);
  // How long an index entry is kept after the latest write about its pair: 2 *
  // ReporterRetention + the longest window, past the longest any pair data can stay (TTLs and
  // pruning together).
  static absl::Duration IndexRetention(const StorePolicy& policy);

 private:
  // The scripts, in the order of redis_scripts::Scripts().
  enum Script {
    kRecordInvitation = 0,
    kRecordResponse,
    kGetFacts,
    kRelease,
    kForget,
    kForgetPair,
    kIndex,
    kRekey,
    kAuditAppend,
    kAuditList,
    kScripts
  };
  // The EVALSHA of `script` on the keys of `sender_id`, with `argv`.
  static redis::ScriptCall CallOf(Script script, const std::string& sender_id,
                                  std::vector<std::string> argv);
  // ARGV[1..10] shared by every script (see history/lua/prelude.lua).
  std::vector<std::string> CommonArgv(const StorePolicy& policy, absl::Time now,
                                      const RecipientKeys& recipient_key) const;
  // `sender_id` (cluster only): the sender of a pair write, whose dropped pairs (if the reply
  // names any) leave their indexes before `done` runs.
  // `key_ids` (cluster only): the configured keys' ids, for the indexes of dropped pairs.
  void RunWriteAsync(const char* operation, redis::ScriptCall call, absl::Time deadline,
                     StoreDone<WriteResult> done, absl::Time start = absl::Now(),
                     std::string sender_id = "", std::vector<std::string> key_ids = {});
  // A write about a pair with the recipient's index: on one Redis, the index key joins the
  // call's KEYS (one EVALSHA); on a cluster (another slot), index.lua runs first, then the
  // write, so that the index never misses a sender holding data about the recipient.
  void RunPairWriteAsync(const char* operation, const std::string& sender_id,
                         const RecipientKeys& recipient_key, absl::Time now,
                         const StorePolicy& policy, redis::ScriptCall call, absl::Time deadline,
                         StoreDone<WriteResult> done);
  void RunGetFactsAsync(const char* operation, const std::vector<FactsQuery>& queries,
                        absl::Time now, absl::Time deadline,
                        StoreDone<std::vector<SenderFacts>> done);
  // Reports an operation that started at `start` to the observer, if any.
  void Observe(const char* operation, absl::Time start, const absl::Status& status) const;

  const RedisOptions options_;
  // The thresholds and the reason text they make, swapped whole by SetPolicy; read with
  // std::atomic_load only.
  struct PolicyState {
    StorePolicy policy;
    std::string restriction_reason;
  };
  std::shared_ptr<const PolicyState> policy_;
  std::unique_ptr<redis::ScriptExecutor> executor_;
  RedisStoreObserver* const observer_;
  // Whether the last Ping saw memory above kRedisMemoryWarningRatio (Ping runs on one thread,
  // the health watcher's; atomic for safety).
  std::atomic<bool> memory_high_{false};
};

}  // namespace etiquette
