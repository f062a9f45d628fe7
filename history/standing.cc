#include "history/standing.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "history/history_store.h"

namespace etiquette {

absl::Duration ReporterRetention(const StorePolicy& policy) {
  return std::max({policy.retention, policy.reported_pair_retention, policy.report_window});
}

namespace standing {

bool RestrictionActive(absl::Time start, absl::Time end, absl::Time now) {
  return start <= now && now < end;
}

absl::Time RestrictionEnd(const StorePolicy& policy, uint32_t offense, absl::Time start) {
  if (offense >= 1 && offense <= policy.restriction_ladder.size()) {
    return start + policy.restriction_ladder[offense - 1];
  }
  return absl::InfiniteFuture();
}

std::string RestrictionReason(const StorePolicy& policy) {
  const int64_t days = policy.report_window / absl::Hours(24);  // whole days, rounded down
  return absl::StrCat(policy.restrict_reports, " reports in ", days, " days");
}

bool JailRecord::RestrictionActive(absl::Time now) const {
  return standing::RestrictionActive(restriction_start, restriction_end, now);
}

absl::Time JailRecord::ReportFloor(const StorePolicy& policy, absl::Time now) const {
  return std::max(now - policy.report_window, clean_slate);
}

bool JailRecord::MaybeStartRestriction(const StorePolicy& policy, uint32_t reports_in_window,
                                       absl::Time now) {
  if (RestrictionActive(now) || reports_in_window < policy.restrict_reports) return false;
  ++offense_count;
  restriction_start = now;
  restriction_end = RestrictionEnd(policy, offense_count, now);
  clean_slate = now;
  reason = RestrictionReason(policy);
  return true;
}

void JailRecord::Release(const std::string& release_reason, absl::Time now) {
  if (RestrictionActive(now)) restriction_end = now;
  clean_slate = now;
  reason = release_reason;
}

double AcceptanceRate(const SenderFacts& facts) {
  const uint32_t sent = facts.sent_in_acceptance_window;
  return sent == 0 ? 0.0 : static_cast<double>(facts.accepted_in_acceptance_window) / sent;
}

SenderState StateOf(const v1::HistoryConfig& config, const SenderFacts& facts, absl::Time now) {
  SenderState state;
  state.reason = facts.reason;
  if (!facts.reason.empty()) {
    state.reason_code = absl::StartsWith(facts.reason, kReleasedReasonPrefix)
                            ? kReasonReleasedByOperator
                            : kReasonRestrictedByReports;
  }
  const uint32_t sent = facts.sent_in_acceptance_window;
  const double acceptance = AcceptanceRate(facts);
  if (RestrictionActive(facts.restriction_start, facts.restriction_end, now)) {
    state.state = v1::STANDING_STATE_RESTRICTED;
    state.reason_code = kReasonRestrictedByReports;
    state.restricted_until = facts.restriction_end;
  } else if (facts.reports_in_window >= config.warn_reports()) {
    state.state = v1::STANDING_STATE_WARNED;
    state.reason_code = kReasonWarnedByReports;
    state.reason = absl::StrCat(facts.reports_in_window, " recipients reported invitations in ",
                                config.report_window_days(), " days");
  } else if (sent >= config.low_acceptance_min_invitations() &&
             acceptance < config.low_acceptance_rate()) {
    state.state = v1::STANDING_STATE_WARNED;
    state.reason_code = kReasonWarnedByLowAcceptance;
    state.reason = absl::StrFormat("low acceptance: %.0f%% of %d invitations in %d days",
                                   acceptance * 100, sent, config.acceptance_window_days());
  }
  return state;
}

}  // namespace standing
}  // namespace etiquette
