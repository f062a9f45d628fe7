#include "history/in_memory_history_store.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "history/standing.h"

namespace etiquette {
namespace {

using v1::InvitationResponse;

// Position along the escalation chain IGNORED -> REPORTED_UNKNOWN -> REPORTED_SPAM; 0 for a
// response off the chain (ACCEPTED, WITHDRAWN, UNSPECIFIED).
int EscalationRank(InvitationResponse response) {
  switch (response) {
    case v1::INVITATION_RESPONSE_IGNORED:
      return 1;
    case v1::INVITATION_RESPONSE_REPORTED_UNKNOWN:
      return 2;
    case v1::INVITATION_RESPONSE_REPORTED_SPAM:
      return 3;
    default:
      return 0;
  }
}

// Whether `incoming` is recorded over the invitation's `recorded` response: the first response
// always is; a later one only when it escalates along the chain.
bool Supersedes(InvitationResponse recorded, InvitationResponse incoming) {
  if (recorded == v1::INVITATION_RESPONSE_UNSPECIFIED) return true;
  const int from = EscalationRank(recorded);
  return from > 0 && EscalationRank(incoming) > from;
}

bool IsReport(InvitationResponse response) {
  return response == v1::INVITATION_RESPONSE_REPORTED_UNKNOWN ||
         response == v1::INVITATION_RESPONSE_REPORTED_SPAM;
}

// Event times later than `now` are stored as `now`.
absl::Time NotAfter(absl::Time event_time, absl::Time now) { return std::min(event_time, now); }

}  // namespace

InMemoryHistoryStore::InMemoryHistoryStore(StorePolicy policy) : policy_(std::move(policy)) {}

void InMemoryHistoryStore::RecordInvitation(const std::string& sender_id,
                                            const std::string& invitation_id,
                                            const RecipientKeys& recipient_key, absl::Time sent_at,
                                            uint64_t note_fingerprint, absl::Time now,
                                            absl::Time /*deadline*/, StoreDone<WriteResult> done) {
  done(
      RecordInvitationNow(sender_id, invitation_id, recipient_key, sent_at, note_fingerprint, now));
}

void InMemoryHistoryStore::RecordResponse(const std::string& sender_id,
                                          const std::string& invitation_id,
                                          const RecipientKeys& recipient_key,
                                          InvitationResponse response, absl::Time responded_at,
                                          absl::Time now, absl::Time /*deadline*/,
                                          StoreDone<WriteResult> done) {
  done(RecordResponseNow(sender_id, invitation_id, recipient_key, response, responded_at, now));
}

void InMemoryHistoryStore::GetFacts(const FactsQuery& query, absl::Time now,
                                    absl::Time /*deadline*/, StoreDone<SenderFacts> done) {
  SenderFacts facts;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    facts = FactsLocked(query, now);
  }
  done(std::move(facts));
}

void InMemoryHistoryStore::BatchGetFacts(const std::vector<FactsQuery>& queries, absl::Time now,
                                         absl::Time /*deadline*/,
                                         StoreDone<std::vector<SenderFacts>> done) {
  done(BatchGetFactsNow(queries, now));
}

void InMemoryHistoryStore::Release(const std::string& sender_id, const std::string& reason,
                                   absl::Time now, absl::Time /*deadline*/,
                                   StoreDone<SenderFacts> done) {
  done(ReleaseNow(sender_id, reason, now));
}

void InMemoryHistoryStore::Forget(const std::string& member_id, const RecipientKeys& recipient_key,
                                  absl::Time /*deadline*/, StoreDone<uint64_t> done) {
  uint64_t removed = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = senders_.find(member_id); it != senders_.end()) {
      removed += it->second.invitations.size() + it->second.pairs.size() + 1;
      senders_.erase(it);
    }
    for (const RecipientKeys::Hashed& hashed : recipient_key.all) {
      const std::string& key = hashed.key;
      for (auto& [sender_id, sender] : senders_) {
        for (auto& [id, invitation] : sender.invitations) {
          if (invitation.recipient_key == key) {
            invitation.recipient_key.clear();  // counted still, anonymous
            ++removed;
          }
        }
        auto pair = sender.pairs.find(key);
        if (pair == sender.pairs.end()) continue;
        ++removed;
        if (pair->second.reported) {
          // The report stays counted, under a name no member has.
          Pair anonymous;
          anonymous.reported = true;
          anonymous.latest_report = pair->second.latest_report;
          anonymous.reported_spam = pair->second.reported_spam;
          sender.pairs[absl::StrCat("~", ++anonymous_pairs_)] = anonymous;
        }
        sender.pairs.erase(key);
      }
    }
  }
  done(removed);
}

absl::StatusOr<WriteResult> InMemoryHistoryStore::RecordInvitationNow(
    const std::string& sender_id, const std::string& invitation_id,
    const RecipientKeys& recipient_key, absl::Time sent_at, uint64_t note_fingerprint,
    absl::Time now) {
  std::lock_guard<std::mutex> lock(mutex_);
  Sender& sender = senders_[sender_id];
  Rekey(sender, recipient_key);
  Prune(sender, now);
  WriteResult result;
  if (sender.invitations.count(invitation_id) > 0) {
    result.duplicate = true;
  } else {
    Invitation& invitation = sender.invitations[invitation_id];
    invitation.recipient_key = recipient_key.first();
    invitation.sent_known = true;
    invitation.sent_at = NotAfter(sent_at, now);
    sender.pairs[recipient_key.first()].pending_invitation_id = invitation_id;
    Cap(sender, now);
    if (note_fingerprint != 0 && invitation.sent_at > now - policy_.volume_window) {
      std::deque<std::pair<uint64_t, absl::Time>>& notes = sender.notes;
      notes.erase(std::remove_if(notes.begin(), notes.end(),
                                 [&](const std::pair<uint64_t, absl::Time>& note) {
                                   return note.second <= now - policy_.volume_window;
                                 }),
                  notes.end());
      notes.emplace_back(note_fingerprint, invitation.sent_at);
      while (notes.size() > policy_.max_note_fingerprints) notes.pop_front();
    }
  }
  result.facts = FactsOf(sender, recipient_key, now);
  return result;
}

absl::StatusOr<WriteResult> InMemoryHistoryStore::RecordResponseNow(
    const std::string& sender_id, const std::string& invitation_id,
    const RecipientKeys& recipient_key, InvitationResponse response, absl::Time responded_at,
    absl::Time now) {
  if (response == v1::INVITATION_RESPONSE_UNSPECIFIED) {
    return absl::InvalidArgumentError("response must not be INVITATION_RESPONSE_UNSPECIFIED");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  Sender& sender = senders_[sender_id];
  Rekey(sender, recipient_key);
  Prune(sender, now);
  WriteResult result;
  const auto known = sender.invitations.find(invitation_id);
  if (known != sender.invitations.end()) {
    if (known->second.recipient_key != recipient_key.first()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invitation ", invitation_id, " was recorded with another recipient"));
    }
    result.duplicate = !Supersedes(known->second.response, response);
  }
  if (!result.duplicate) {
    // An unknown id is recorded here with sent_known = false: not counted as sent.
    Invitation& invitation = sender.invitations[invitation_id];
    invitation.recipient_key = recipient_key.first();
    invitation.response = response;
    const absl::Time at = NotAfter(responded_at, now);
    invitation.responded_at = std::max(invitation.responded_at, at);
    result.restriction_started =
        ApplyResponse(sender, invitation_id, recipient_key.first(), response, at, now);
    Cap(sender, now);
  }
  result.facts = FactsOf(sender, recipient_key, now);
  return result;
}

std::vector<SenderFacts> InMemoryHistoryStore::BatchGetFactsNow(
    const std::vector<FactsQuery>& queries, absl::Time now) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<SenderFacts> all;
  all.reserve(queries.size());
  for (const FactsQuery& query : queries) {
    all.push_back(FactsLocked(query, now));
  }
  return all;
}

SenderFacts InMemoryHistoryStore::ReleaseNow(const std::string& sender_id,
                                             const std::string& reason, absl::Time now) {
  std::lock_guard<std::mutex> lock(mutex_);
  Sender& sender = senders_[sender_id];
  Prune(sender, now);
  sender.jail.Release(reason, now);
  return FactsOf(sender, "", now);
}

void InMemoryHistoryStore::AppendAdminAction(const AdminActionRecord& record,
                                             const std::string& erased_member,
                                             absl::Time /*deadline*/,
                                             StoreDone<AdminActionRecord> done) {
  AdminActionRecord stored = record;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!erased_member.empty()) {
      const auto names_member = [&](const auto& entry) {
        return entry.second.sender_id == erased_member;
      };
      stored.audit_entries_removed = absl::c_count_if(audit_, names_member);
      audit_.erase(std::remove_if(audit_.begin(), audit_.end(), names_member), audit_.end());
    }
    std::pair<int64_t, int64_t> key{absl::ToUnixMillis(record.time), 0};
    if (!audit_.empty() && audit_.back().first >= key) {
      key = {audit_.back().first.first, audit_.back().first.second + 1};
    }
    stored.id = absl::StrCat(key.first, "-", key.second);
    audit_.emplace_back(key, stored);
    const int64_t min_ms = absl::ToUnixMillis(record.time - policy_.admin_audit_retention);
    while (audit_.size() > policy_.admin_audit_max_entries ||
           (!audit_.empty() && audit_.front().first.first < min_ms)) {
      audit_.pop_front();
    }
  }
  done(std::move(stored));
}

void InMemoryHistoryStore::ListAdminActions(const AdminActionsQuery& query, absl::Time /*deadline*/,
                                            StoreDone<AdminActionsPage> done) {
  std::pair<int64_t, int64_t> before{INT64_MAX, INT64_MAX};
  if (!query.before_id.empty()) {
    const std::vector<std::string> parts = absl::StrSplit(query.before_id, '-');
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &before.first) ||
        !absl::SimpleAtoi(parts[1], &before.second)) {
      return done(absl::InvalidArgumentError("page_token: not a token of this server"));
    }
  }
  const int64_t min_ms =
      query.not_before == absl::InfinitePast() ? INT64_MIN : absl::ToUnixMillis(query.not_before);
  AdminActionsPage page;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = audit_.rbegin(); it != audit_.rend(); ++it) {
      if (it->first >= before) continue;
      if (it->first.first < min_ms) break;
      if (!query.sender_id.empty() && it->second.sender_id != query.sender_id) continue;
      if (static_cast<int>(page.actions.size()) == query.limit) {
        page.more = true;
        break;
      }
      page.actions.push_back(it->second);
    }
  }
  done(std::move(page));
}

absl::Status InMemoryHistoryStore::Ping() { return absl::OkStatus(); }

SenderFacts InMemoryHistoryStore::FactsLocked(const FactsQuery& query, absl::Time now) const {
  const auto found = senders_.find(query.sender_id);
  if (found == senders_.end()) return SenderFacts();
  SenderFacts facts = FactsOf(found->second, query.recipient_key, now);
  if (query.note_fingerprint != 0) {
    for (const auto& [fingerprint, sent_at] : found->second.notes) {
      if (sent_at > now - policy_.volume_window &&
          static_cast<uint32_t>(__builtin_popcountll(fingerprint ^ query.note_fingerprint)) <=
              policy_.near_identical_max_distance) {
        ++facts.near_identical_notes;
      }
    }
  }
  return facts;
}

SenderFacts InMemoryHistoryStore::FactsOf(const Sender& sender, const RecipientKeys& recipient_key,
                                          absl::Time now) const {
  SenderFacts facts;
  facts.reports_in_window = ReportsInWindow(sender, now, /*spam_only=*/false);
  facts.spam_reports_in_window = ReportsInWindow(sender, now, /*spam_only=*/true);
  for (const auto& [id, invitation] : sender.invitations) {
    if (!invitation.sent_known) continue;
    if (invitation.sent_at > now - policy_.volume_window) ++facts.invitations_in_volume_window;
    if (invitation.sent_at > now - policy_.acceptance_window) {
      ++facts.sent_in_acceptance_window;
      if (invitation.response == v1::INVITATION_RESPONSE_ACCEPTED) {
        ++facts.accepted_in_acceptance_window;
      }
    }
  }
  facts.offense_count = sender.jail.offense_count;
  facts.restriction_start = sender.jail.restriction_start;
  facts.restriction_end = sender.jail.restriction_end;
  facts.reason = sender.jail.reason;
  // The pair under every key (a rotation: what a write has not moved yet), merged.
  for (const RecipientKeys::Hashed& hashed : recipient_key.all) {
    const auto pair = sender.pairs.find(hashed.key);
    if (pair == sender.pairs.end()) continue;
    // A reporter entry counts for ReporterRetention after its latest report (its own clock).
    facts.recipient_reported_sender |=
        pair->second.reported && pair->second.latest_report > now - ReporterRetention(policy_);
    if (pair->second.withdrawn_at > now - policy_.reinvite_cooldown) {
      facts.withdrawn_at = std::max(facts.withdrawn_at, pair->second.withdrawn_at);
    }
    facts.pending |= !pair->second.pending_invitation_id.empty();
  }
  return facts;
}

// Distinct recipients whose latest report is after the jail record's ReportFloor.
uint32_t InMemoryHistoryStore::ReportsInWindow(const Sender& sender, absl::Time now,
                                               bool spam_only) const {
  const absl::Time after = sender.jail.ReportFloor(policy_, now);
  uint32_t count = 0;
  for (const auto& [key, pair] : sender.pairs) {
    if (pair.reported && pair.latest_report > after && (!spam_only || pair.reported_spam)) {
      ++count;
    }
  }
  return count;
}

void InMemoryHistoryStore::Rekey(Sender& sender, const RecipientKeys& keys) {
  const std::string& to = keys.first();
  auto sent_at = [&sender](const std::string& invitation_id) {
    const auto found = sender.invitations.find(invitation_id);
    return found == sender.invitations.end() ? absl::InfinitePast() : found->second.sent_at;
  };
  for (size_t k = 1; k < keys.all.size(); ++k) {
    const std::string& from = keys.all[k].key;
    for (auto& [id, invitation] : sender.invitations) {
      if (invitation.recipient_key == from) invitation.recipient_key = to;
    }
    auto old = sender.pairs.find(from);
    if (old == sender.pairs.end()) continue;
    const Pair moved = old->second;
    sender.pairs.erase(old);
    Pair& pair = sender.pairs[to];
    if (moved.reported) {
      pair.reported = true;
      pair.latest_report = std::max(pair.latest_report, moved.latest_report);
      pair.reported_spam |= moved.reported_spam;
    }
    pair.withdrawn_at = std::max(pair.withdrawn_at, moved.withdrawn_at);
    // Both pending (written under both keys during a rollout): the later invitation holds it.
    if (pair.pending_invitation_id.empty() ||
        (!moved.pending_invitation_id.empty() &&
         sent_at(moved.pending_invitation_id) > sent_at(pair.pending_invitation_id))) {
      pair.pending_invitation_id = moved.pending_invitation_id;
    }
  }
}

bool InMemoryHistoryStore::ApplyResponse(Sender& sender, const std::string& invitation_id,
                                         const std::string& recipient_key,
                                         InvitationResponse response, absl::Time responded_at,
                                         absl::Time now) {
  Pair& pair = sender.pairs[recipient_key];
  // Any recorded response answers the pending invitation, if it is this one.
  if (pair.pending_invitation_id == invitation_id) pair.pending_invitation_id.clear();
  // A withdrawal already outside the cool-down is not kept (nothing would count it).
  if (response == v1::INVITATION_RESPONSE_WITHDRAWN &&
      responded_at > now - policy_.reinvite_cooldown) {
    pair.withdrawn_at = std::max(pair.withdrawn_at, responded_at);
  }
  if (!IsReport(response)) return false;  // ACCEPTED is counted from the invitation itself
  pair.reported = true;
  pair.latest_report = std::max(pair.latest_report, responded_at);
  if (response == v1::INVITATION_RESPONSE_REPORTED_SPAM) pair.reported_spam = true;
  CapReporters(sender);
  return sender.jail.MaybeStartRestriction(policy_,
                                           ReportsInWindow(sender, now, /*spam_only=*/false), now);
}

void InMemoryHistoryStore::Prune(Sender& sender, absl::Time now) const {
  const absl::Duration longest = std::max({policy_.report_window, policy_.volume_window,
                                           policy_.acceptance_window, policy_.reinvite_cooldown});
  const absl::Time horizon = now - longest;
  for (auto it = sender.invitations.begin(); it != sender.invitations.end();) {
    it = RecordTime(it->second) <= horizon ? sender.invitations.erase(it) : std::next(it);
  }
  const absl::Time reporters_horizon = now - ReporterRetention(policy_);
  for (auto it = sender.pairs.begin(); it != sender.pairs.end();) {
    Pair& pair = it->second;
    // A pair is pending while the invitation that made it so is kept.
    if (!pair.pending_invitation_id.empty() &&
        sender.invitations.count(pair.pending_invitation_id) == 0) {
      pair.pending_invitation_id.clear();
    }
    if (pair.reported && pair.latest_report <= reporters_horizon) Unreport(pair);
    const bool idle = !pair.reported && pair.pending_invitation_id.empty() &&
                      pair.withdrawn_at <= now - policy_.reinvite_cooldown;
    it = idle ? sender.pairs.erase(it) : std::next(it);
  }
}

absl::Time InMemoryHistoryStore::RecordTime(const Invitation& invitation) {
  return invitation.sent_known ? invitation.sent_at : invitation.responded_at;
}

void InMemoryHistoryStore::Unreport(Pair& pair) {
  pair.reported = false;
  pair.reported_spam = false;
  pair.latest_report = absl::InfinitePast();
}

void InMemoryHistoryStore::Cap(Sender& sender, absl::Time now) const {
  // (time, kind: 1 known only from a response, 2 sent, 3 withdrawal; id or recipient key),
  // oldest first: the order of the Lua's cap().
  std::vector<std::tuple<absl::Time, int, std::string>> records;
  for (const auto& [id, invitation] : sender.invitations) {
    records.emplace_back(RecordTime(invitation), invitation.sent_known ? 2 : 1, id);
  }
  for (const auto& [key, pair] : sender.pairs) {
    if (pair.withdrawn_at > now - policy_.reinvite_cooldown) {
      records.emplace_back(pair.withdrawn_at, 3, key);
    }
  }
  const size_t cap = RecordsCap(policy_);
  if (records.size() <= cap) return;
  const size_t excess = records.size() - cap;
  std::partial_sort(records.begin(), records.begin() + excess, records.end());
  for (size_t i = 0; i < excess; ++i) {
    const auto& [time, kind, name] = records[i];
    if (kind == 3) {
      sender.pairs[name].withdrawn_at = absl::InfinitePast();
      continue;
    }
    const auto invitation = sender.invitations.find(name);
    Pair& pair = sender.pairs[invitation->second.recipient_key];
    if (pair.pending_invitation_id == name) pair.pending_invitation_id.clear();
    sender.invitations.erase(invitation);
  }
}

void InMemoryHistoryStore::CapReporters(Sender& sender) const {
  // (latest report, spam: after the others at the same time; recipient key), oldest first.
  std::vector<std::tuple<absl::Time, bool, std::string>> reporters;
  for (const auto& [key, pair] : sender.pairs) {
    if (pair.reported) reporters.emplace_back(pair.latest_report, pair.reported_spam, key);
  }
  const size_t cap = RecordsCap(policy_);
  if (reporters.size() <= cap) return;
  const size_t excess = reporters.size() - cap;
  std::partial_sort(reporters.begin(), reporters.begin() + excess, reporters.end());
  for (size_t i = 0; i < excess; ++i) Unreport(sender.pairs[std::get<2>(reporters[i])]);
}

void InMemoryHistoryStore::SetPolicy(const StorePolicy& policy) {
  std::lock_guard<std::mutex> lock(mutex_);
  policy_ = policy;
}

}  // namespace etiquette
