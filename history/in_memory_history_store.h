#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "etiquette/v1/history.pb.h"
#include "history/history_store.h"
#include "history/standing.h"

namespace etiquette {

// HistoryStore in process memory: the reference implementation of every rule documented in
// history_store.h, and the fake behind the unit tests of the history service's logic.
//
// Thread-safe: one mutex, held for the whole of each method, so every method is one atomic
// step. Ping always answers OK; nothing ever answers UNAVAILABLE.
//
// Where it differs from a store with TTLs (on purpose; no contract test depends on it):
// - Nothing expires by time alone: `retention` and `reported_pair_retention` are not applied,
//   so a quiet sender, a reported pair and a pending mark stay until Forget (a reported pair
//   reads as reported only for ReporterRetention after its latest report, as in Redis).
// - Instead, every write first prunes what no window can count any more, so that memory stays
//   bounded, as RedisHistoryStore's writes do (history/redis_scripts.h): invitations whose
//   sent_at (known only from a response: latest responded_at) is at or before
//   now - (the longest of the four windows), with the pending mark they hold; reporters whose
//   latest report is at or before now - ReporterRetention; pairs that are then neither
//   reported, pending, nor inside their cool-down. A pruned invitation id is unknown
//   afterwards: recording it again is not a duplicate, and a response to it is recorded as a
//   response to an unknown invitation. Then the same cap of records and of reporters
//   (StorePolicy::max_records_per_sender).
class InMemoryHistoryStore : public HistoryStore {
 public:
  explicit InMemoryHistoryStore(StorePolicy policy);

  // Every call answers inline, on the calling thread, before it returns; `deadline` is not
  // used (nothing waits).
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
  void Forget(const std::string& member_id, const RecipientKeys& recipient_key, absl::Time deadline,
              StoreDone<uint64_t> done) override;
  // The audit trail as Redis keeps it: ids "<ms>-<seq>" from the record's time (never going
  // back), the cap exact (Redis' "~" may keep a few more), entries before record.time -
  // retention dropped at each append and not answered by a list at its `not_before`.
  void AppendAdminAction(const AdminActionRecord& record, const std::string& erased_member,
                         absl::Time deadline, StoreDone<AdminActionRecord> done) override;
  void ListAdminActions(const AdminActionsQuery& query, absl::Time deadline,
                        StoreDone<AdminActionsPage> done) override;
  absl::Status Ping() override;
  void SetPolicy(const StorePolicy& policy) override;

 private:
  // One invitation id of a sender.
  struct Invitation {
    std::string recipient_key;
    // False when the id was first seen in a response: it is then not counted as sent.
    bool sent_known = false;
    absl::Time sent_at = absl::InfinitePast();
    // The recorded response (the strongest one along the escalation chain); UNSPECIFIED while
    // unanswered.
    v1::InvitationResponse response = v1::INVITATION_RESPONSE_UNSPECIFIED;
    // The latest recorded response's time.
    absl::Time responded_at = absl::InfinitePast();
  };

  // What the sender's history says about one recipient.
  struct Pair {
    // The recipient reported the sender (for good), and the latest such report's time.
    bool reported = false;
    absl::Time latest_report = absl::InfinitePast();
    // The recipient chose REPORTED_SPAM at least once.
    bool reported_spam = false;
    // The latest WITHDRAWN response's time.
    absl::Time withdrawn_at = absl::InfinitePast();
    // The invitation id that made the pair pending; empty when not pending.
    std::string pending_invitation_id;
  };

  struct Sender {
    std::map<std::string, Invitation> invitations;  // by invitation id
    std::map<std::string, Pair> pairs;              // by recipient key
    // Restrictions, clean slate, reason: the model's part (history/standing.h).
    standing::JailRecord jail;
    // Note fingerprints and their invitations' sent_at, in the order recorded.
    std::deque<std::pair<uint64_t, absl::Time>> notes;
  };

  // The calls' work, under the mutex; the public calls hand the result to `done` after
  // releasing it.
  absl::StatusOr<WriteResult> RecordInvitationNow(const std::string& sender_id,
                                                  const std::string& invitation_id,
                                                  const RecipientKeys& recipient_key,
                                                  absl::Time sent_at, uint64_t note_fingerprint,
                                                  absl::Time now);
  absl::StatusOr<WriteResult> RecordResponseNow(const std::string& sender_id,
                                                const std::string& invitation_id,
                                                const RecipientKeys& recipient_key,
                                                v1::InvitationResponse response,
                                                absl::Time responded_at, absl::Time now);
  std::vector<SenderFacts> BatchGetFactsNow(const std::vector<FactsQuery>& queries, absl::Time now);
  SenderFacts ReleaseNow(const std::string& sender_id, const std::string& reason, absl::Time now);

  // The facts of `sender` at `now`; pair facts when `recipient_key` is not empty.
  SenderFacts FactsOf(const Sender& sender, const RecipientKeys& recipient_key,
                      absl::Time now) const;
  SenderFacts FactsLocked(const FactsQuery& query, absl::Time now) const;
  uint32_t ReportsInWindow(const Sender& sender, absl::Time now, bool spam_only) const;

  // Applies a recorded response to the pair and the sender, then the escalation
  // (JailRecord::MaybeStartRestriction); returns whether it started a restriction.
  bool ApplyResponse(Sender& sender, const std::string& invitation_id,
                     const std::string& recipient_key, v1::InvitationResponse response,
                     absl::Time responded_at, absl::Time now);
  // Key rotation: moves the pairs and invitations under keys.all[1...] to keys.first().
  static void Rekey(Sender& sender, const RecipientKeys& keys);
  // Drops what no window can count any more (see the class comment).
  void Prune(Sender& sender, absl::Time now) const;
  // After a write: the cap of records and withdrawals (StorePolicy::max_records_per_sender),
  // oldest first; a dropped invitation takes the pending mark it holds.
  void Cap(Sender& sender, absl::Time now) const;
  // After a report: the same cap on reporters, the oldest latest report first.
  void CapReporters(Sender& sender) const;
  // The time an invitation is pruned and capped by: sent_at, or for one known only from a
  // response its latest responded_at (as the Lua's).
  static absl::Time RecordTime(const Invitation& invitation);
  static void Unreport(Pair& pair);

  StorePolicy policy_;  // guarded by mutex_
  mutable std::mutex mutex_;
  std::map<std::string, Sender> senders_;  // guarded by mutex_
  uint64_t anonymous_pairs_ = 0;           // guarded by mutex_: names of forgotten reporters
  // The audit trail, oldest first, with the (ms, seq) of each id; guarded by mutex_.
  std::deque<std::pair<std::pair<int64_t, int64_t>, AdminActionRecord>> audit_;
};

}  // namespace etiquette
