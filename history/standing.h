#pragma once

// The "LinkedIn Jail" model, in one place and free of I/O: the policy's numbers, when a
// restriction is active, how one starts (offense count, length from the ladder, clean slate) and
// ends (an operator's release), the reason it records, and the state a sender is in (GOOD,
// WARNED, RESTRICTED). InMemoryHistoryStore and History use it; the Lua of RedisHistoryStore
// (history/lua/record_response.lua, release.lua) is the only other copy, and
// tests/history/standing_stores_test.cc runs the same scenarios through both stores.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "etiquette/v1/history.pb.h"
#include "etiquette/v1/history_config.pb.h"

namespace etiquette {

struct SenderFacts;  // history/history_store.h

// The numbers a store needs to apply the model atomically, from HistoryConfig.
struct StorePolicy {
  absl::Duration report_window = absl::Hours(24 * 90);
  absl::Duration volume_window = absl::Hours(24 * 7);
  absl::Duration acceptance_window = absl::Hours(24 * 14);
  absl::Duration reinvite_cooldown = absl::Hours(24 * 21);
  // Reports (after the clean slate, inside report_window) from which a restriction starts.
  uint32_t restrict_reports = 5;
  // Length of the 1st, 2nd, ... restriction; later offenses are indefinite.
  std::vector<absl::Duration> restriction_ladder = {absl::Hours(24 * 7), absl::Hours(24 * 30)};
  // TTL of a sender's keys after their last write: report_window + the longest timed
  // restriction, so that a quiet sender disappears by itself.
  absl::Duration retention = absl::Hours(24 * (90 + 30));
  // TTL of the set of recipients who reported the sender (they stay blocked for good, within
  // reason), refreshed on every write.
  absl::Duration reported_pair_retention = absl::Hours(24 * 730);
  // The cap of one sender's state: past this many invitations and withdrawals together, a write
  // drops the oldest first (by sent_at, or responded_at for an invitation known only from a
  // response; a withdrawal by its time; equal times in any order), with the pending mark the
  // invitation holds; past this many reporters, the oldest latest report goes first. 500 keeps
  // a sender at the cap around 125 KB of Redis (MEMORY USAGE of its keys, all unanswered) while
  // no honest sender comes near it inside the windows that count. Values under
  // kMinRecordsPerSender count as kMinRecordsPerSender (see RecordsCap).
  uint32_t max_records_per_sender = 500;
  // Note fingerprints kept per sender (HistoryConfig note_fingerprints_per_sender), and the
  // largest distance in bits of a near-identical note (near_identical_max_distance).
  uint32_t max_note_fingerprints = 100;
  uint32_t near_identical_max_distance = 14;
  // The admin audit trail (HistoryConfig admin_audit_*): about this many entries, none older
  // than the retention.
  uint32_t admin_audit_max_entries = 10000;
  absl::Duration admin_audit_retention = absl::Hours(24 * 400);
};

// The smallest cap of records per sender: above what RedisHistoryStore keeps in its small mode
// (history/redis_scripts.h), where the cap is not applied.
inline constexpr uint32_t kMinRecordsPerSender = 64;

// policy.max_records_per_sender, at least kMinRecordsPerSender.
inline uint32_t RecordsCap(const StorePolicy& policy) {
  return policy.max_records_per_sender < kMinRecordsPerSender ? kMinRecordsPerSender
                                                              : policy.max_records_per_sender;
}

// How long a reporter is kept after its latest report (by both stores' pruning; Redis: the TTL
// of the reporters' key): max(retention, reported_pair_retention, report_window).
absl::Duration ReporterRetention(const StorePolicy& policy);

// The model's functions, in their own namespace so that a file's local helper of the same name
// (redis_history_store.cc's RestrictionReason, until it uses this one) does not clash.
namespace standing {

// A restriction from `start` to `end` (InfiniteFuture: indefinite) is active at `now` when
// start <= now < end. Never restricted: both are InfinitePast, never active.
bool RestrictionActive(absl::Time start, absl::Time end, absl::Time now);

// The end of a restriction starting at `start` that is the sender's `offense`-th (1-based):
// the ladder's entry, or indefinite (InfiniteFuture) beyond the ladder.
absl::Time RestrictionEnd(const StorePolicy& policy, uint32_t offense, absl::Time start);

// The reason recorded when a restriction starts, e.g. "5 reports in 90 days" (report_window in
// whole days, rounded down).
std::string RestrictionReason(const StorePolicy& policy);

// What the model keeps of one sender besides its events: the restrictions so far and the clean
// slate. A plain value; the store that holds it makes each change atomic.
struct JailRecord {
  // Restrictions started so far; never reset by a release.
  uint32_t offense_count = 0;
  // The latest restriction (see RestrictionActive).
  absl::Time restriction_start = absl::InfinitePast();
  absl::Time restriction_end = absl::InfinitePast();
  // Reports at or before this time do not count.
  absl::Time clean_slate = absl::InfinitePast();
  // Why: set when a restriction starts, or by an operator's release.
  std::string reason;

  bool RestrictionActive(absl::Time now) const;

  // Reports count when their time is after this: max(now - report_window, clean slate).
  absl::Time ReportFloor(const StorePolicy& policy, absl::Time now) const;

  // Escalation, after a report was recorded: when `reports_in_window` (counted from
  // ReportFloor) reaches restrict_reports while no restriction is active, starts one at `now`:
  // offense_count + 1, its end from the ladder, a clean slate at `now`, RestrictionReason.
  // Returns whether it did.
  bool MaybeStartRestriction(const StorePolicy& policy, uint32_t reports_in_window, absl::Time now);

  // An operator's release: ends an active restriction at `now` (offense_count stays), starts a
  // clean slate at `now`, and records `reason`.
  void Release(const std::string& reason, absl::Time now);
};

// The reason codes of SenderStanding.reason_code (a contract: never renamed).
inline constexpr char kReasonWarnedByReports[] = "warned-by-reports";
inline constexpr char kReasonWarnedByLowAcceptance[] = "warned-by-low-acceptance";
inline constexpr char kReasonRestrictedByReports[] = "restricted-by-reports";
inline constexpr char kReasonReleasedByOperator[] = "released-by-operator";
// How the reason text of a release starts (History::ReleaseSender writes it, with a ref).
inline constexpr char kReleasedReasonPrefix[] = "released by an operator";

// The state of a sender at `now`, from its facts and the config's warning thresholds.
struct SenderState {
  v1::StandingState state = v1::STANDING_STATE_GOOD;
  // RESTRICTED: the facts' reason (why the restriction started, or the release's). WARNED: why
  // ("7 recipients reported invitations in 90 days", "low acceptance: ..."). GOOD: the facts'
  // reason (the latest restriction's or release's, if any).
  std::string reason;
  // The stable code of the reason (v1::SenderStanding.reason_code): one of the kReason*
  // constants below, "" when there is no reason.
  std::string reason_code;
  // RESTRICTED with a timed restriction: its end; else InfiniteFuture.
  absl::Time restricted_until = absl::InfiniteFuture();
};

// accepted / sent in the acceptance window; 0 when nothing was sent.
double AcceptanceRate(const SenderFacts& facts);

// RESTRICTED while the restriction is active; else WARNED when reports_in_window >=
// warn_reports, or when at least low_acceptance_min_invitations were sent in the acceptance
// window and fewer than low_acceptance_rate of them were accepted; else GOOD.
SenderState StateOf(const v1::HistoryConfig& config, const SenderFacts& facts, absl::Time now);

}  // namespace standing
}  // namespace etiquette
