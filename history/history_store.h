#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "etiquette/v1/history.pb.h"
#include "history/recipient_keys.h"
#include "history/standing.h"

namespace etiquette {

// What the store knows of one sender at `now`. Raw facts; History turns them into a
// SenderStanding (state, rates; see StateOf in history/standing.h).
struct SenderFacts {
  // Distinct recipients whose latest report came after the clean slate and inside
  // report_window (responded_at > max(now - report_window, clean_slate)).
  uint32_t reports_in_window = 0;
  // Of those, the ones whose report was REPORTED_SPAM at some point.
  uint32_t spam_reports_in_window = 0;
  // Distinct invitation ids with sent_at > now - volume_window.
  uint32_t invitations_in_volume_window = 0;
  // Distinct invitation ids with sent_at > now - acceptance_window, and of those the accepted.
  uint32_t sent_in_acceptance_window = 0;
  uint32_t accepted_in_acceptance_window = 0;
  // Restrictions started so far; never reset by a release.
  uint32_t offense_count = 0;
  // The latest restriction: active while restriction_start <= now < restriction_end
  // (RestrictionActive in history/standing.h).
  // restriction_end is absl::InfiniteFuture() for an indefinite one. Both are
  // absl::InfinitePast() when the sender was never restricted. A release sets the end to the
  // release time.
  absl::Time restriction_start = absl::InfinitePast();
  absl::Time restriction_end = absl::InfinitePast();
  // Why: set when a restriction starts ("5 reports in 90 days") or by an operator's release.
  std::string reason;

  // Pair facts: filled only when a recipient was asked about.
  bool recipient_reported_sender = false;  // ever, as long as the pair is retained
  // Latest WITHDRAWN response to this recipient inside reinvite_cooldown, else InfinitePast.
  absl::Time withdrawn_at = absl::InfinitePast();
  bool pending = false;  // an invitation to this recipient recorded and not yet answered

  // Filled only when the query carried a note fingerprint (FactsQuery::note_fingerprint): the
  // sender's kept note fingerprints (RecordInvitation) of invitations with sent_at > now -
  // volume_window at most policy.near_identical_max_distance bits from it.
  uint32_t near_identical_notes = 0;
};

struct WriteResult {
  SenderFacts facts;
  // The write changed nothing: the invitation (or this response, or a weaker one) was
  // already recorded.
  bool duplicate = false;
  // This write started a restriction.
  bool restriction_started = false;
};

struct FactsQuery {
  std::string sender_id;
  RecipientKeys recipient_key;    // empty: no pair facts
  uint64_t note_fingerprint = 0;  // 0: no near_identical_notes
};

// One entry of the admin audit trail (v1::AdminAction; see History::ReleaseSender). Never a
// member id but the sender id a release names, and never anything about an erased member.
struct AdminActionRecord {
  std::string id;  // set by the store: "<ms>-<seq>", increasing in the order of appends
  absl::Time time = absl::InfinitePast();
  std::string admin;
  std::string token_ref;
  std::string action;
  std::string sender_id;
  std::string reason;
  std::string reason_ref;
  std::string ticket;
  std::string outcome;
  uint64_t records_removed = 0;
  // ForgetMember: the earlier entries that named the erased member (as the sender of a release)
  // and were removed with this append (AppendAdminAction's `erased_member`). Set by the store.
  uint64_t audit_entries_removed = 0;
};

// A page of the audit trail: entries older than `before_id` (empty: from the newest), newest
// first, written after `not_before` (the retention), at most `limit`, only those of
// `sender_id` when it is not empty.
struct AdminActionsQuery {
  std::string before_id;
  absl::Time not_before = absl::InfinitePast();
  int limit = 50;
  std::string sender_id;
};

struct AdminActionsPage {
  std::vector<AdminActionRecord> actions;
  bool more = false;  // more entries match past the last one
};

// How an asynchronous store call ends: run exactly once, on the calling thread or on one of
// the store's own threads; it must not block (it may run on the thread that reads Redis).
template <typename T>
using StoreDone = std::function<void(absl::StatusOr<T>)>;

// Storage of senders' histories. Every method is one atomic step: a concurrent call never sees
// half of a write, and concurrent writes never lose one another. Ids are already validated
// ([A-Za-z0-9._:-]); `recipient_key` is the recipient's keyed hash, never the clear id.
// Event times later than `now` are stored as `now`. Errors: UNAVAILABLE when the backend cannot
// be reached in time (nothing was acknowledged), INVALID_ARGUMENT as documented per method.
class HistoryStore {
 public:
  virtual ~HistoryStore() = default;

  // Every call but Ping and SetPolicy is asynchronous: the arguments are copied or used before
  // it returns; `done` runs once with the result (see StoreDone). `deadline` is the caller's
  // (InfiniteFuture: none): a store that queues work may drop what has not started by then
  // (UNAVAILABLE); its own timeout still applies. A store with nothing to wait for answers
  // inline.

  // Records that `invitation_id` went from `sender_id` to `recipient_key` at `sent_at`: counts
  // it in the volume and acceptance windows and marks the pair pending. A known invitation id
  // changes nothing (duplicate). A `note_fingerprint` other than 0 is kept with sent_at, when
  // sent_at > now - volume_window, among the sender's note fingerprints: those with sent_at
  // inside the volume window, at most policy.max_note_fingerprints (past it the earliest
  // recorded go); never a member id, so a recipient's erasure leaves them and a sender's erases
  // them.
  virtual void RecordInvitation(const std::string& sender_id, const std::string& invitation_id,
                                const RecipientKeys& recipient_key, absl::Time sent_at,
                                uint64_t note_fingerprint, absl::Time now, absl::Time deadline,
                                StoreDone<WriteResult> done) = 0;
  // The same without a note fingerprint.
  void RecordInvitation(const std::string& sender_id, const std::string& invitation_id,
                        const RecipientKeys& recipient_key, absl::Time sent_at, absl::Time now,
                        absl::Time deadline, StoreDone<WriteResult> done) {
    RecordInvitation(sender_id, invitation_id, recipient_key, sent_at, 0, now, deadline,
                     std::move(done));
  }

  // Records the recipient's response. The first response to an invitation is recorded; a later
  // one only when it escalates IGNORED -> REPORTED_UNKNOWN -> REPORTED_SPAM, anything else is
  // a duplicate. Effects of a recorded response: any response clears the pair's pending mark
  // if it belongs to this invitation; ACCEPTED counts the invitation as accepted; WITHDRAWN
  // starts the pair's cool-down at responded_at; a report adds the recipient to the reporters
  // (latest report time wins), marks the pair reported for good, and then applies the
  // escalation of history/standing.h (JailRecord::MaybeStartRestriction): when reports_in_window
  // reaches restrict_reports while no restriction is active, a restriction starts at `now`
  // (offense_count + 1, length from the ladder, a clean slate at `now`). An invitation id the
  // store does not know is recorded with its response (it was sent before history knew it; it
  // is not counted as sent). INVALID_ARGUMENT when the invitation is known with another
  // recipient, or `response` is UNSPECIFIED.
  virtual void RecordResponse(const std::string& sender_id, const std::string& invitation_id,
                              const RecipientKeys& recipient_key, v1::InvitationResponse response,
                              absl::Time responded_at, absl::Time now, absl::Time deadline,
                              StoreDone<WriteResult> done) = 0;

  // The facts of one sender (an unknown sender has all zeros), with pair facts when
  // `query.recipient_key` is not empty and near_identical_notes when `query.note_fingerprint`
  // is not 0. Reads only.
  virtual void GetFacts(const FactsQuery& query, absl::Time now, absl::Time deadline,
                        StoreDone<SenderFacts> done) = 0;
  // The same without a note fingerprint.
  void GetFacts(const std::string& sender_id, const RecipientKeys& recipient_key, absl::Time now,
                absl::Time deadline, StoreDone<SenderFacts> done) {
    GetFacts(FactsQuery{sender_id, recipient_key}, now, deadline, std::move(done));
  }

  // GetFacts for many senders at once, in query order; fails as a whole.
  virtual void BatchGetFacts(const std::vector<FactsQuery>& queries, absl::Time now,
                             absl::Time deadline, StoreDone<std::vector<SenderFacts>> done) = 0;

  // Operator release (JailRecord::Release in history/standing.h): ends an active restriction at
  // `now` (offense_count stays), starts a clean slate of reports at `now`, and records `reason`.
  virtual void Release(const std::string& sender_id, const std::string& reason, absl::Time now,
                       absl::Time deadline, StoreDone<SenderFacts> done) = 0;

  // ForgetMember: erases `member_id` as a sender (everything stored under it, and its entries
  // in the indexes of its recipients) and, when `recipient_key` (its keyed hash) is not empty,
  // as a recipient and reporter: for every sender that holds data about the pair, its pending
  // mark and cool-down go, and what the sender's standing counts stays without the identity
  // (invitation records keep their time and response, reporter entries their report time and
  // spam flag, under an anonymous name), so that no other member's standing changes. Answers
  // the number of records removed or anonymized; 0 when nothing was left (idempotent).
  virtual void Forget(const std::string& member_id, const RecipientKeys& recipient_key,
                      absl::Time deadline, StoreDone<uint64_t> done) = 0;

  // The admin audit trail: appends `record` (the store sets its id), keeping at most about
  // policy.admin_audit_max_entries entries and none written before now -
  // policy.admin_audit_retention. When `erased_member` is not empty (ForgetMember), first removes,
  // in the same atomic step, every entry whose sender_id is that member, and stores their number
  // in the new entry's audit_entries_removed: the trail keeps no trace of an erased member, and
  // says that it dropped some. Answers the new entry as stored (id and count set).
  virtual void AppendAdminAction(const AdminActionRecord& record, const std::string& erased_member,
                                 absl::Time deadline, StoreDone<AdminActionRecord> done) {
    (void)record, (void)erased_member, (void)deadline;
    done(absl::UnimplementedError("this store keeps no admin audit trail"));
  }
  // A page of it (AdminActionsQuery). Reads only.
  virtual void ListAdminActions(const AdminActionsQuery& query, absl::Time deadline,
                                StoreDone<AdminActionsPage> done) {
    (void)query, (void)deadline;
    done(absl::UnimplementedError("this store keeps no admin audit trail"));
  }

  // OK when the backend answers now; used for health. Synchronous: called from the health
  // watcher's own thread.
  virtual absl::Status Ping() = 0;

  // Applies new thresholds (hot reload) to the calls that start after it.
  virtual void SetPolicy(const StorePolicy& policy) = 0;
};

}  // namespace etiquette
