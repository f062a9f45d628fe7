#include "history/history.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/ids.h"
#include "common/proto_time.h"
#include "common/status.h"
#include "history/config.h"
#include "history/standing.h"
#include "spdlog/spdlog.h"

namespace etiquette {
namespace {

using Errors = std::vector<std::string>;

// How far in the future a client clock may be before an event time is refused.
constexpr absl::Duration kMaxClockSkew = absl::Minutes(5);
constexpr size_t kMaxReasonBytes = 1024;

// The longest window an event counts in, in days: the store keeps no event older than it
// (HistoryStore pruning; acceptance and volume windows are at most the report window).
uint32_t LongestWindowDays(const v1::HistoryConfig& config) {
  return std::max({config.report_window_days(), config.volume_window_days(),
                   config.acceptance_window_days(), config.reinvite_cooldown_days()});
}

// The time of an event: unset means `now`. Appends an error when it is invalid, more than
// kMaxClockSkew ahead of `now`, or older than the longest window (it would count nowhere, yet
// take room in the sender's state); exactly that old is accepted.
absl::Time EventTime(const google::protobuf::Timestamp& time, bool present, const std::string& path,
                     absl::Time now, const v1::HistoryConfig& config, Errors* errors) {
  if (!present) return now;
  if (!IsValidTimestamp(time)) {
    errors->push_back(path + ": not a valid timestamp");
    return now;
  }
  const absl::Time at = ToAbslTime(time);
  const uint32_t longest_days = LongestWindowDays(config);
  if (at > now + kMaxClockSkew) {
    errors->push_back(path + ": more than 5 minutes in the future");
  } else if (at < now - absl::Hours(24) * longest_days) {
    errors->push_back(
        absl::StrCat(path, ": more than ", longest_days, " days in the past (the longest window)"));
  }
  return at;
}

void CheckPair(const std::string& sender_id, const std::string& recipient_id,
               const std::string& prefix, Errors* errors) {
  CheckId(sender_id, kMaxMemberIdBytes, prefix + "sender_id", errors);
  CheckId(recipient_id, kMaxMemberIdBytes, prefix + "recipient_id", errors);
  if (!sender_id.empty() && sender_id == recipient_id) {
    errors->push_back(prefix + "recipient_id: must differ from sender_id");
  }
}

// GetStanding's checks; the recipient is optional there.
void CheckStandingRequest(const v1::GetStandingRequest& request, const std::string& prefix,
                          Errors* errors) {
  if (request.recipient_id().empty()) {
    CheckId(request.sender_id(), kMaxMemberIdBytes, prefix + "sender_id", errors);
  } else {
    CheckPair(request.sender_id(), request.recipient_id(), prefix, errors);
  }
}

// An operator's reason is required, and bounded.
void CheckReason(const std::string& reason, Errors* errors) {
  if (absl::StripAsciiWhitespace(reason).empty()) {
    errors->push_back("reason: required");
  } else if (reason.size() > kMaxReasonBytes) {
    errors->push_back(absl::StrCat("reason: must be at most ", kMaxReasonBytes, " bytes"));
  }
}

// An optional ticket reference: empty, or like an id.
void CheckTicket(const std::string& ticket, Errors* errors) {
  if (!ticket.empty()) CheckId(ticket, kMaxMemberIdBytes, "ticket", errors);
}

// What a released sender's standing says (and Redis keeps) instead of the operator's text.
std::string ReleasedReason(const std::string& ref) {
  return absl::StrCat(standing::kReleasedReasonPrefix, " (ref ", ref, ")");
}

// Operator text goes to logs escaped, so that it cannot forge log lines.
std::string LoggableReason(const std::string& reason) { return absl::CHexEscape(reason); }

}  // namespace

History::History(HistoryStore& store, RecipientHasher hasher, v1::HistoryConfig config, Clock clock)
    : store_(store),
      hasher_(std::move(hasher)),
      config_(std::make_shared<const v1::HistoryConfig>(std::move(config))),
      clock_(std::move(clock)) {}

void History::ReplaceConfig(v1::HistoryConfig config) {
  store_.SetPolicy(StorePolicyFrom(config));
  std::atomic_store(&config_, std::make_shared<const v1::HistoryConfig>(std::move(config)));
}

v1::SenderStanding History::Standing(const v1::HistoryConfig& config, const std::string& sender_id,
                                     const SenderFacts& facts, absl::Time now,
                                     bool with_pair) const {
  v1::SenderStanding standing;
  standing.set_sender_id(sender_id);
  standing.set_reports_in_window(facts.reports_in_window);
  standing.set_spam_reports_in_window(facts.spam_reports_in_window);
  standing.set_invitations_last_7d(facts.invitations_in_volume_window);
  standing.set_near_identical_notes_last_7d(facts.near_identical_notes);
  standing.set_acceptance_rate(standing::AcceptanceRate(facts));
  standing.set_offense_count(facts.offense_count);
  const standing::SenderState state = standing::StateOf(config, facts, now);
  standing.set_state(state.state);
  standing.set_reason(state.reason);
  standing.set_reason_code(state.reason_code);
  if (state.restricted_until != absl::InfiniteFuture()) {
    *standing.mutable_restricted_until() = ToTimestamp(state.restricted_until);
  }

  if (with_pair) {
    v1::PairStanding& pair = *standing.mutable_pair();
    pair.set_recipient_reported_sender(facts.recipient_reported_sender);
    pair.set_pending(facts.pending);
    if (facts.withdrawn_at != absl::InfinitePast()) {
      const absl::Time allowed =
          facts.withdrawn_at + absl::Hours(24) * config.reinvite_cooldown_days();
      if (allowed > now) *pair.mutable_reinvite_allowed_after() = ToTimestamp(allowed);
    }
  }
  return standing;
}

void History::RecordInvitation(const v1::RecordInvitationRequest& request, absl::Time deadline,
                               StoreDone<v1::RecordInvitationResponse> done) {
  const absl::Time now = clock_();
  Errors errors;
  CheckId(request.invitation_id(), kMaxInvitationIdBytes, "invitation_id", &errors);
  CheckPair(request.sender_id(), request.recipient_id(), "", &errors);
  const absl::Time sent_at =
      EventTime(request.sent_at(), request.has_sent_at(), "sent_at", now, *config(), &errors);
  if (absl::Status s = InvalidArgumentFromErrors(errors); !s.ok()) return done(s);

  store_.RecordInvitation(
      request.sender_id(), request.invitation_id(), hasher_.Keys(request.recipient_id()), sent_at,
      request.note_fingerprint(), now, deadline,
      [this, &request, now, done = std::move(done)](absl::StatusOr<WriteResult> result) {
        if (!result.ok()) return done(result.status());
        v1::RecordInvitationResponse response;
        *response.mutable_standing() =
            Standing(*config(), request.sender_id(), result->facts, now, true);
        response.set_duplicate(result->duplicate);
        done(std::move(response));
      });
}

void History::RecordResponse(const v1::RecordResponseRequest& request, absl::Time deadline,
                             StoreDone<v1::RecordResponseResponse> done) {
  const absl::Time now = clock_();
  Errors errors;
  CheckId(request.invitation_id(), kMaxInvitationIdBytes, "invitation_id", &errors);
  CheckPair(request.sender_id(), request.recipient_id(), "", &errors);
  if (request.response() == v1::INVITATION_RESPONSE_UNSPECIFIED) {
    errors.push_back("response: required");
  } else if (!v1::InvitationResponse_IsValid(request.response())) {
    errors.push_back(absl::StrCat("response: unknown value ", request.response()));
  }
  const absl::Time responded_at = EventTime(request.responded_at(), request.has_responded_at(),
                                            "responded_at", now, *config(), &errors);
  if (absl::Status s = InvalidArgumentFromErrors(errors); !s.ok()) return done(s);

  store_.RecordResponse(
      request.sender_id(), request.invitation_id(), hasher_.Keys(request.recipient_id()),
      request.response(), responded_at, now, deadline,
      [this, &request, now, done = std::move(done)](absl::StatusOr<WriteResult> result) {
        if (!result.ok()) return done(result.status());
        if (result->restriction_started) {
          spdlog::info("restriction started sender={} offense_count={}",
                       hasher_.LogTag(request.sender_id()), result->facts.offense_count);
        }
        v1::RecordResponseResponse response;
        *response.mutable_standing() =
            Standing(*config(), request.sender_id(), result->facts, now, true);
        response.set_duplicate(result->duplicate);
        done(std::move(response));
      });
}

void History::GetStanding(const v1::GetStandingRequest& request, absl::Time deadline,
                          StoreDone<v1::GetStandingResponse> done) {
  const absl::Time now = clock_();
  Errors errors;
  CheckStandingRequest(request, "", &errors);
  if (absl::Status s = InvalidArgumentFromErrors(errors); !s.ok()) return done(s);

  const bool with_pair = !request.recipient_id().empty();
  store_.GetFacts(
      FactsQuery{request.sender_id(),
                 with_pair ? hasher_.Keys(request.recipient_id()) : RecipientKeys(),
                 request.note_fingerprint()},
      now, deadline,
      [this, &request, now, with_pair, done = std::move(done)](absl::StatusOr<SenderFacts> facts) {
        if (!facts.ok()) return done(facts.status());
        v1::GetStandingResponse response;
        *response.mutable_standing() =
            Standing(*config(), request.sender_id(), *facts, now, with_pair);
        done(std::move(response));
      });
}

void History::BatchGetStanding(const v1::BatchGetStandingRequest& request, absl::Time deadline,
                               StoreDone<v1::BatchGetStandingResponse> done) {
  const absl::Time now = clock_();
  const int size = request.requests_size();
  if (size == 0 || size > kMaxStandingBatch) {
    return done(absl::InvalidArgumentError(
        absl::StrCat("requests: must hold 1 to ", kMaxStandingBatch, " requests, got ", size)));
  }
  Errors errors;
  std::vector<FactsQuery> queries;
  queries.reserve(size);
  for (int i = 0; i < size; ++i) {
    const v1::GetStandingRequest& one = request.requests(i);
    CheckStandingRequest(one, absl::StrCat("requests[", i, "]."), &errors);
    queries.push_back(
        {one.sender_id(),
         one.recipient_id().empty() ? RecipientKeys() : hasher_.Keys(one.recipient_id()),
         one.note_fingerprint()});
  }
  if (absl::Status s = InvalidArgumentFromErrors(errors); !s.ok()) return done(s);

  store_.BatchGetFacts(queries, now, deadline,
                       [this, &request, now,
                        done = std::move(done)](absl::StatusOr<std::vector<SenderFacts>> facts) {
                         if (!facts.ok()) return done(facts.status());
                         const std::shared_ptr<const v1::HistoryConfig> config = this->config();
                         v1::BatchGetStandingResponse response;
                         for (int i = 0; i < request.requests_size(); ++i) {
                           *response.add_standings() =
                               Standing(*config, request.requests(i).sender_id(), (*facts)[i], now,
                                        !request.requests(i).recipient_id().empty());
                         }
                         done(std::move(response));
                       });
}

namespace {

// The audit entry of an operator action, its outcome set from `status`.
AdminActionRecord AuditRecord(const History::AdminCaller& caller, const char* action,
                              absl::Time now, const absl::Status& status) {
  AdminActionRecord record;
  record.time = now;
  record.admin = caller.admin;
  record.token_ref = caller.token_ref;
  record.action = action;
  record.outcome = absl::StatusCodeToString(status.code());
  return record;
}

// A page token: the id of the page's last entry, web-safe base64 (opaque to callers).
std::string PageToken(const std::string& id) { return absl::WebSafeBase64Escape(id); }

}  // namespace

void History::Audit(const AdminActionRecord& record, const std::string& erased_member,
                    std::function<void(absl::StatusOr<AdminActionRecord>)> then) {
  // Its own bound (the store's write timeout), not the caller's deadline: the action is done,
  // its entry is written even when the caller gave up.
  store_.AppendAdminAction(
      record, erased_member, absl::InfiniteFuture(),
      [action = record.action, admin = record.admin,
       subject = hasher_.LogTag(erased_member.empty() ? record.sender_id : erased_member),
       outcome = record.outcome,
       then = std::move(then)](absl::StatusOr<AdminActionRecord> stored) mutable {
        if (!stored.ok()) {
          spdlog::error("admin audit write failed: action={} admin=\"{}\" member={} outcome={}: {}",
                        action, absl::CHexEscape(admin), subject, outcome,
                        stored.status().ToString());
        }
        then(std::move(stored));
      });
}

void History::ReleaseSender(const v1::ReleaseSenderRequest& request, AdminCaller caller,
                            absl::Time deadline, StoreDone<v1::ReleaseSenderResponse> done) {
  const absl::Time now = clock_();
  Errors errors;
  CheckId(request.sender_id(), kMaxMemberIdBytes, "sender_id", &errors);
  CheckReason(request.reason(), &errors);
  CheckTicket(request.ticket(), &errors);
  if (absl::Status s = InvalidArgumentFromErrors(errors); !s.ok()) return done(s);

  // The operator's text stays in the log and the audit trail; Redis and every caller see a
  // reason code with a reference (a keyed hash of the text, in the log line and the audit entry
  // too) that matches them.
  const std::string ref = hasher_.LogTag(request.reason());
  store_.Release(
      request.sender_id(), ReleasedReason(ref), now, deadline,
      [this, &request, caller = std::move(caller), ref, now,
       done = std::move(done)](absl::StatusOr<SenderFacts> facts) mutable {
        spdlog::info("admin ReleaseSender sender={} ref={} outcome={} reason=\"{}\"",
                     hasher_.LogTag(request.sender_id()), ref,
                     absl::StatusCodeToString(facts.status().code()),
                     LoggableReason(request.reason()));
        AdminActionRecord record = AuditRecord(caller, "ReleaseSender", now, facts.status());
        record.sender_id = request.sender_id();
        record.reason = request.reason();
        record.reason_ref = ref;
        record.ticket = request.ticket();
        absl::StatusOr<v1::ReleaseSenderResponse> result = v1::ReleaseSenderResponse();
        if (facts.ok()) {
          *result->mutable_standing() =
              Standing(*config(), request.sender_id(), *facts, now, false);
        } else {
          result = facts.status();
        }
        Audit(record, "",
              [result = std::move(result), done = std::move(done)](
                  const absl::StatusOr<AdminActionRecord>&) mutable { done(std::move(result)); });
      });
}

void History::ForgetMember(const v1::ForgetMemberRequest& request, AdminCaller caller,
                           absl::Time deadline, StoreDone<v1::ForgetMemberResponse> done) {
  const absl::Time now = clock_();
  Errors errors;
  CheckId(request.member_id(), kMaxMemberIdBytes, "member_id", &errors);
  CheckReason(request.reason(), &errors);
  CheckTicket(request.ticket(), &errors);
  if (absl::Status s = InvalidArgumentFromErrors(errors); !s.ok()) return done(s);

  store_.Forget(
      request.member_id(), hasher_.Keys(request.member_id()), deadline,
      [this, &request, caller = std::move(caller), now,
       done = std::move(done)](absl::StatusOr<uint64_t> removed) mutable {
        // The member's log tag in the log line, never its id (not even inside the operator's
        // reason); in the audit trail, nothing about the member.
        const std::string tag = hasher_.LogTag(request.member_id());
        spdlog::info(
            "admin ForgetMember member={} records_removed={} outcome={} reason=\"{}\"", tag,
            removed.ok() ? *removed : 0, absl::StatusCodeToString(removed.status().code()),
            LoggableReason(absl::StrReplaceAll(request.reason(), {{request.member_id(), tag}})));
        AdminActionRecord record = AuditRecord(caller, "ForgetMember", now, removed.status());
        record.reason =
            absl::StrReplaceAll(request.reason(), {{request.member_id(), "[erased member]"}});
        record.ticket = request.ticket();
        if (removed.ok()) record.records_removed = *removed;
        Audit(record, request.member_id(),
              [removed = std::move(removed),
               done = std::move(done)](absl::StatusOr<AdminActionRecord> stored) mutable {
                if (!removed.ok()) return done(removed.status());
                if (!stored.ok()) {
                  return done(absl::UnavailableError(absl::StrCat(
                      "the member's data is erased, but the audit trail could not be updated "
                      "(it may still name the member as a released sender): retry, ForgetMember "
                      "is idempotent; ",
                      stored.status().message())));
                }
                v1::ForgetMemberResponse response;
                response.set_records_removed(*removed);
                response.set_audit_entries_removed(stored->audit_entries_removed);
                done(std::move(response));
              });
      });
}

void History::ListAdminActions(const v1::ListAdminActionsRequest& request, absl::Time deadline,
                               StoreDone<v1::ListAdminActionsResponse> done) {
  const absl::Time now = clock_();
  Errors errors;
  if (request.page_size() < 0 || request.page_size() > kMaxAdminActionsPage) {
    errors.push_back(absl::StrCat("page_size: must be 0 (", kDefaultAdminActionsPage, ") to ",
                                  kMaxAdminActionsPage, ", got ", request.page_size()));
  }
  AdminActionsQuery query;
  if (!request.page_token().empty() &&
      (!absl::WebSafeBase64Unescape(request.page_token(), &query.before_id) ||
       query.before_id.empty())) {
    errors.push_back("page_token: not a token of this server");
  }
  if (!request.sender_id().empty()) {
    CheckId(request.sender_id(), kMaxMemberIdBytes, "sender_id", &errors);
  }
  if (absl::Status s = InvalidArgumentFromErrors(errors); !s.ok()) return done(s);

  query.limit = request.page_size() == 0 ? kDefaultAdminActionsPage : request.page_size();
  query.sender_id = request.sender_id();
  query.not_before = now - absl::Hours(24) * config()->admin_audit_retention_days();
  store_.ListAdminActions(query, deadline,
                          [done = std::move(done)](absl::StatusOr<AdminActionsPage> page) {
                            if (!page.ok()) return done(page.status());
                            v1::ListAdminActionsResponse response;
                            for (const AdminActionRecord& r : page->actions) {
                              v1::AdminAction& a = *response.add_actions();
                              a.set_id(r.id);
                              *a.mutable_time() = ToTimestamp(r.time);
                              a.set_admin(r.admin);
                              a.set_token_ref(r.token_ref);
                              a.set_action(r.action);
                              a.set_sender_id(r.sender_id);
                              a.set_reason(r.reason);
                              a.set_reason_ref(r.reason_ref);
                              a.set_ticket(r.ticket);
                              a.set_outcome(r.outcome);
                              a.set_records_removed(r.records_removed);
                              a.set_audit_entries_removed(r.audit_entries_removed);
                            }
                            if (page->more && !page->actions.empty()) {
                              response.set_next_page_token(PageToken(page->actions.back().id));
                            }
                            done(std::move(response));
                          });
}

}  // namespace etiquette
