#include "tests/badinput/corpus.h"

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "common/proto_time.h"
#include "etiquette/v1/evaluator.pb.h"
#include "etiquette/v1/history.pb.h"
#include "evaluator/invitation_validator.h"
#include "evaluator/max_request_size.h"
#include "google/protobuf/unknown_field_set.h"
#include "history/max_request_size.h"
#include "support/test_invitations.h"

namespace etiquette::badinput {
namespace {

using grpc::StatusCode;
using Body = std::function<std::string(absl::Time)>;
using InvitationMutator = std::function<void(v1::Invitation&, absl::Time)>;

constexpr int64_t kMaxTimestampSeconds = 253402300799;  // 9999-12-31T23:59:59Z
constexpr int64_t kMinTimestampSeconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();

// A valid invitation, sent a minute ago.
v1::Invitation ValidInvitation(absl::Time now) {
  v1::Invitation invitation = testing::GoodInvitation();
  invitation.set_invitation_id("badinput-inv");
  invitation.mutable_sender()->set_member_id("badinput-sender");
  invitation.mutable_recipient()->set_member_id("badinput-recipient");
  *invitation.mutable_sent_at() = ToTimestamp(now - absl::Minutes(1));
  return invitation;
}

google::protobuf::Timestamp RawTimestamp(int64_t seconds, int32_t nanos) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(seconds);
  ts.set_nanos(nanos);
  return ts;
}

// An EvaluateRequest holding a valid invitation changed by `mutate`.
Body Evaluate(InvitationMutator mutate) {
  return [mutate = std::move(mutate)](absl::Time now) {
    v1::EvaluateRequest request;
    *request.mutable_invitation() = ValidInvitation(now);
    mutate(*request.mutable_invitation(), now);
    return request.SerializeAsString();
  };
}

// An EvaluateBatchRequest of `size` valid invitations; the slot `bad` (if in range) changed by
// `mutate`.
Body EvaluateBatch(int size, int bad = -1, InvitationMutator mutate = nullptr) {
  return [=](absl::Time now) {
    v1::EvaluateBatchRequest request;
    for (int i = 0; i < size; ++i) {
      v1::Invitation& invitation = *request.add_invitations();
      invitation = ValidInvitation(now);
      invitation.set_invitation_id(absl::StrCat("badinput-batch-", i));
      invitation.mutable_recipient()->set_member_id(absl::StrCat("badinput-recipient-", i));
      if (i == bad) mutate(invitation, now);
    }
    return request.SerializeAsString();
  };
}

// A valid history request of type Request changed by `mutate`.
template <typename Request>
Body History(std::function<void(Request&, absl::Time)> mutate) {
  return [mutate = std::move(mutate)](absl::Time now) {
    Request request;
    mutate(request, now);
    return request.SerializeAsString();
  };
}

void ValidRecordInvitation(v1::RecordInvitationRequest& r, absl::Time now) {
  r.set_invitation_id("badinput-hist-inv");
  r.set_sender_id("badinput-sender");
  r.set_recipient_id("badinput-recipient");
  *r.mutable_sent_at() = ToTimestamp(now - absl::Minutes(1));
}

void ValidRecordResponse(v1::RecordResponseRequest& r, absl::Time now) {
  r.set_invitation_id("badinput-hist-inv");
  r.set_sender_id("badinput-sender");
  r.set_recipient_id("badinput-recipient");
  r.set_response(v1::INVITATION_RESPONSE_ACCEPTED);
  *r.mutable_responded_at() = ToTimestamp(now - absl::Minutes(1));
}

// Replaces the only occurrence of `placeholder` in `bytes` by `replacement` of the same length,
// so that no length prefix changes: the way to put bytes a protobuf library refuses to
// serialize (invalid UTF-8 in a proto3 string) into an otherwise valid message.
std::string Patch(std::string bytes, const std::string& placeholder,
                  const std::string& replacement) {
  if (placeholder.size() != replacement.size()) throw std::logic_error("patch changes length");
  const size_t at = bytes.find(placeholder);
  if (at == std::string::npos || bytes.find(placeholder, at + 1) != std::string::npos) {
    throw std::logic_error("placeholder not found exactly once: " + placeholder);
  }
  return bytes.replace(at, placeholder.size(), replacement);
}

// `body` with `placeholder` patched to `replacement`.
Body Patched(Body body, std::string placeholder, std::string replacement) {
  return [=](absl::Time now) { return Patch(body(now), placeholder, replacement); };
}

// A note of `note_bytes` bytes in an otherwise valid EvaluateRequest.
std::string EvaluateWithNote(absl::Time now, size_t note_bytes) {
  v1::EvaluateRequest request;
  *request.mutable_invitation() = ValidInvitation(now);
  request.mutable_invitation()->set_note(std::string(note_bytes, 'n'));
  return request.SerializeAsString();
}

// An EvaluateRequest whose serialized size is exactly `total` bytes (grown through the note).
std::string EvaluateOfSize(absl::Time now, size_t total) {
  size_t note = total - EvaluateWithNote(now, 0).size();
  for (int attempt = 0; attempt < 8; ++attempt) {  // the length prefixes grow with the note
    const size_t size = EvaluateWithNote(now, note).size();
    if (size == total) return EvaluateWithNote(now, note);
    note = note + total - size;
  }
  throw std::logic_error("cannot size the request");
}

// A GetStandingRequest whose serialized size is exactly `total` bytes (grown through
// recipient_id).
std::string GetStandingOfSize(size_t total) {
  v1::GetStandingRequest request;
  request.set_sender_id("badinput-sender");
  const size_t empty = request.ByteSizeLong();
  size_t id = total - empty;
  for (int attempt = 0; attempt < 8; ++attempt) {  // the length prefix grows with the id
    request.set_recipient_id(std::string(id, 'r'));
    const size_t size = request.ByteSizeLong();
    if (size == total) return request.SerializeAsString();
    id = id + total - size;
  }
  throw std::logic_error("cannot size the request");
}

// A valid EvaluateBatchRequest of kMaxBatchSize invitations with every field at its limit
// (evaluator/max_request_size.h) but sent_at, a minute ago rather than in year 1: 5 bytes less
// per invitation than evaluator_request_size::kBatch, and over the request size limit.
std::string EveryFieldAtItsLimitBatch(absl::Time now) {
  v1::EvaluateBatchRequest request;
  for (int i = 0; i < kMaxBatchSize; ++i) {
    v1::Invitation& inv = *request.add_invitations();
    inv.set_invitation_id(
        absl::StrCat(i, std::string(kMaxInvitationIdBytes, 'i')).substr(0, kMaxInvitationIdBytes));
    for (v1::MemberProfile* p : {inv.mutable_sender(), inv.mutable_recipient()}) {
      const char role = p == inv.mutable_sender() ? 's' : 'r';
      p->set_member_id(
          absl::StrCat(i, std::string(kMaxMemberIdBytes, role)).substr(0, kMaxMemberIdBytes));
      for (std::string* text : {p->mutable_full_name(), p->mutable_headline(), p->mutable_summary(),
                                p->mutable_company_id(), p->mutable_company_name()}) {
        *text = std::string(kMaxTextBytes, 't');
      }
      p->set_has_photo(true);
      p->set_premium(true);
    }
    std::string note;
    while (note.size() < kMaxNoteBytes) note += "word ";
    inv.set_note(note.substr(0, kMaxNoteBytes));
    *inv.mutable_sent_at() = RawTimestamp(absl::ToUnixSeconds(now - absl::Minutes(1)), 999'999'999);
    v1::Relationship& r = *inv.mutable_relationship();
    r.set_familiarity(v1::Familiarity_MAX);
    r.set_mutual_connections(UINT32_MAX);
    r.mutable_twitter()->set_sender_follows_recipient(true);
    r.mutable_twitter()->set_recipient_follows_sender(true);
    r.mutable_twitter()->set_interactions_90d(UINT32_MAX);
    inv.set_recipient_email_confirmed(true);
  }
  // sent_at's seconds take fewer bytes than the 10 of a negative number.
  const size_t shorter =
      kMaxBatchSize * (10 - wire::VarintBytes(request.invitations(0).sent_at().seconds()));
  if (request.ByteSizeLong() != evaluator_request_size::kBatch - shorter) {
    throw std::logic_error(absl::StrCat("the batch at every limit is ", request.ByteSizeLong(),
                                        " bytes, not kBatch minus ", shorter));
  }
  return request.SerializeAsString();
}

// Varint encoding, for hand-built wire bytes.
std::string Varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
  return out;
}

std::string Tag(int field, int wire_type) { return Varint((uint64_t{1} * field << 3) | wire_type); }

// The message for bytes that are not an EvaluateRequest (NotTheRequest), as far as checked.
constexpr char kNotAnEvaluateRequest[] = "request: not a valid etiquette.v1.EvaluateRequest";

std::vector<BadInputCase> Build() {
  std::vector<BadInputCase> c;
  const auto eval = [&c](std::string name, InvitationMutator mutate, std::string contains,
                         StatusCode code = StatusCode::INVALID_ARGUMENT) {
    c.push_back({std::move(name), Server::kEvaluator, kEvaluate, Evaluate(std::move(mutate)), code,
                 std::move(contains)});
  };
  const auto raw_eval = [&c](std::string name, std::string method, Body body, StatusCode code,
                             std::string contains = "") {
    c.push_back({std::move(name), Server::kEvaluator, std::move(method), std::move(body), code,
                 std::move(contains)});
  };
  const auto hist = [&c](std::string name, std::string method, Body body, std::string contains,
                         StatusCode code = StatusCode::INVALID_ARGUMENT, bool admin = false) {
    c.push_back({std::move(name), Server::kHistory, std::move(method), std::move(body), code,
                 std::move(contains), admin});
  };
  const std::string k4097(4097, 't');

  // ---- Evaluator: Evaluate, one validation rule at a time ----
  raw_eval(
      "Evaluate_MissingInvitation", kEvaluate,
      [](absl::Time) { return v1::EvaluateRequest().SerializeAsString(); },
      StatusCode::INVALID_ARGUMENT, "invitation: required");
  raw_eval(
      "Evaluate_ZeroBytes", kEvaluate, [](absl::Time) { return std::string(); },
      StatusCode::INVALID_ARGUMENT, "invitation: required");
  eval(
      "Evaluate_MissingSender", [](v1::Invitation& i, absl::Time) { i.clear_sender(); },
      "invitation.sender: required");
  eval(
      "Evaluate_MissingRecipient", [](v1::Invitation& i, absl::Time) { i.clear_recipient(); },
      "invitation.recipient: required");
  eval(
      "Evaluate_EmptyInvitation", [](v1::Invitation& i, absl::Time) { i.Clear(); },
      "invitation.invitation_id: must not be empty");

  eval(
      "Evaluate_InvitationIdEmpty", [](v1::Invitation& i, absl::Time) { i.clear_invitation_id(); },
      "invitation.invitation_id: must not be empty");
  eval(
      "Evaluate_InvitationId129Bytes",
      [](v1::Invitation& i, absl::Time) { i.set_invitation_id(std::string(129, 'i')); },
      "invitation.invitation_id: must be at most 128 bytes, got 129");
  eval(
      "Evaluate_InvitationIdSpace",
      [](v1::Invitation& i, absl::Time) { i.set_invitation_id("inv 4"); },
      "invitation.invitation_id: may only contain");
  eval(
      "Evaluate_InvitationIdNewline",
      [](v1::Invitation& i, absl::Time) { i.set_invitation_id("inv-1\nlevel=error forged"); },
      "invitation.invitation_id: may only contain");
  eval(
      "Evaluate_InvitationIdNulByte",
      [](v1::Invitation& i, absl::Time) { i.set_invitation_id(std::string("inv\0x", 5)); },
      "invitation.invitation_id: may only contain");
  eval(
      "Evaluate_InvitationIdNonAscii",
      [](v1::Invitation& i, absl::Time) { i.set_invitation_id("inv-\xC3\xA9t\xC3\xA9"); },
      "invitation.invitation_id: may only contain");

  eval(
      "Evaluate_SenderIdEmpty",
      [](v1::Invitation& i, absl::Time) { i.mutable_sender()->clear_member_id(); },
      "invitation.sender.member_id: must not be empty");
  eval(
      "Evaluate_SenderId65Bytes",
      [](v1::Invitation& i, absl::Time) {
        i.mutable_sender()->set_member_id(std::string(65, 's'));
      },
      "invitation.sender.member_id: must be at most 64 bytes, got 65");
  eval(
      "Evaluate_SenderIdSlash",
      [](v1::Invitation& i, absl::Time) { i.mutable_sender()->set_member_id("m/../admin"); },
      "invitation.sender.member_id: may only contain");
  eval(
      "Evaluate_RecipientIdEmpty",
      [](v1::Invitation& i, absl::Time) { i.mutable_recipient()->clear_member_id(); },
      "invitation.recipient.member_id: must not be empty");
  eval(
      "Evaluate_RecipientId65Bytes",
      [](v1::Invitation& i, absl::Time) {
        i.mutable_recipient()->set_member_id(std::string(65, 'r'));
      },
      "invitation.recipient.member_id: must be at most 64 bytes, got 65");
  eval(
      "Evaluate_RecipientIdRedisGlob",
      [](v1::Invitation& i, absl::Time) { i.mutable_recipient()->set_member_id("m-*{x}"); },
      "invitation.recipient.member_id: may only contain");
  eval(
      "Evaluate_SenderIsRecipient",
      [](v1::Invitation& i, absl::Time) {
        i.mutable_sender()->set_member_id("same-member");
        i.mutable_recipient()->set_member_id("same-member");
      },
      "invitation.recipient.member_id: must differ from the sender's");

  eval(
      "Evaluate_Note8001Bytes",
      [](v1::Invitation& i, absl::Time) { i.set_note(std::string(8001, 'n')); },
      "invitation.note: must be at most 8000 bytes, got 8001");
  eval(
      "Evaluate_Note1MiB",
      [](v1::Invitation& i, absl::Time) { i.set_note(std::string(1 << 20, 'n')); },
      "invitation.note: must be at most 8000 bytes, got 1048576");
  eval(
      "Evaluate_SenderId1MiB",
      [](v1::Invitation& i, absl::Time) {
        i.mutable_sender()->set_member_id(std::string(1 << 20, 's'));
      },
      "invitation.sender.member_id: must be at most 64 bytes, got 1048576");

  // MemberProfile.locale: a well-formed BCP 47 tag of at most 35 characters.
  eval(
      "Evaluate_SenderLocaleNotBcp47",
      [](v1::Invitation& i, absl::Time) { i.mutable_sender()->set_locale("de_DE"); },
      "invitation.sender.locale: must be a well-formed BCP 47 language tag of at most 35 "
      "characters");
  eval(
      "Evaluate_RecipientLocale1MiB",
      [](v1::Invitation& i, absl::Time) {
        i.mutable_recipient()->set_locale(std::string(1 << 20, 'a'));
      },
      "invitation.recipient.locale: must be a well-formed BCP 47 language tag of at most 35 "
      "characters");

  // Every other text field: at most 4,096 bytes.
  const std::vector<std::pair<std::string, std::function<void(v1::MemberProfile&)>>> profile_texts =
      {{"full_name", [k4097](v1::MemberProfile& p) { p.set_full_name(k4097); }},
       {"headline", [k4097](v1::MemberProfile& p) { p.set_headline(k4097); }},
       {"summary", [k4097](v1::MemberProfile& p) { p.set_summary(k4097); }},
       {"company_id", [k4097](v1::MemberProfile& p) { p.set_company_id(k4097); }},
       {"company_name", [k4097](v1::MemberProfile& p) { p.set_company_name(k4097); }}};
  for (const auto& [field, set] : profile_texts) {
    for (const char* who : {"sender", "recipient"}) {
      const bool sender = std::string(who) == "sender";
      std::string camel = field == "full_name"    ? "FullName"
                          : field == "headline"   ? "Headline"
                          : field == "summary"    ? "Summary"
                          : field == "company_id" ? "CompanyId"
                                                  : "CompanyName";
      eval(
          absl::StrCat("Evaluate_", sender ? "Sender" : "Recipient", camel, "4097Bytes"),
          [set = set, sender](v1::Invitation& i, absl::Time) {
            set(sender ? *i.mutable_sender() : *i.mutable_recipient());
          },
          absl::StrCat("invitation.", who, ".", field, ": must be at most 4096 bytes, got 4097"));
    }
  }
  eval(
      "Evaluate_GroupId4097Bytes",
      [k4097](v1::Invitation& i, absl::Time) {
        i.mutable_relationship()->add_shared_groups()->set_group_id(k4097);
      },
      "invitation.relationship.shared_groups[0].group_id: must be at most 4096 bytes, got 4097");
  eval(
      "Evaluate_GroupName4097Bytes",
      [k4097](v1::Invitation& i, absl::Time) {
        v1::SharedGroup& g = *i.mutable_relationship()->add_shared_groups();
        g.set_group_id("g-1");
        g.set_name(k4097);
      },
      "invitation.relationship.shared_groups[0].name: must be at most 4096 bytes, got 4097");

  // Enum numbers outside the enum (proto3 keeps them; the validator refuses them).
  eval(
      "Evaluate_FamiliaritySeven",
      [](v1::Invitation& i, absl::Time) {
        i.mutable_relationship()->set_familiarity(static_cast<v1::Familiarity>(7));
      },
      "invitation.relationship.familiarity: unknown value 7");
  eval(
      "Evaluate_FamiliarityNegative",
      [](v1::Invitation& i, absl::Time) {
        i.mutable_relationship()->set_familiarity(static_cast<v1::Familiarity>(-1));
      },
      "invitation.relationship.familiarity: unknown value -1");
  eval(
      "Evaluate_FamiliarityInt32Max",
      [](v1::Invitation& i, absl::Time) {
        i.mutable_relationship()->set_familiarity(static_cast<v1::Familiarity>(kInt32Max));
      },
      "invitation.relationship.familiarity: unknown value 2147483647");

  // Hiring events.
  const auto hiring = [](v1::Invitation& i, absl::Time now) -> v1::HiringEvent& {
    v1::HiringEvent& e = *i.mutable_relationship()->add_hiring_events();
    e.set_stage(v1::HIRING_STAGE_INTERVIEWED);
    e.set_company_id("co-globex");
    *e.mutable_occurred_at() = ToTimestamp(now - absl::Hours(24 * 10));
    return e;
  };
  eval(
      "Evaluate_HiringStageMissing",
      [hiring](v1::Invitation& i, absl::Time now) { hiring(i, now).clear_stage(); },
      "invitation.relationship.hiring_events[0].stage: required");
  eval(
      "Evaluate_HiringStageEight",
      [hiring](v1::Invitation& i, absl::Time now) {
        hiring(i, now).set_stage(static_cast<v1::HiringStage>(8));
      },
      "invitation.relationship.hiring_events[0].stage: unknown value 8");
  eval(
      "Evaluate_HiringStageNegative",
      [hiring](v1::Invitation& i, absl::Time now) {
        hiring(i, now).set_stage(static_cast<v1::HiringStage>(-5));
      },
      "invitation.relationship.hiring_events[0].stage: unknown value -5");
  eval(
      "Evaluate_HiringDateMissing",
      [hiring](v1::Invitation& i, absl::Time now) { hiring(i, now).clear_occurred_at(); },
      "invitation.relationship.hiring_events[0].occurred_at: required");
  eval(
      "Evaluate_HiringDateAfterSentAt",
      [hiring](v1::Invitation& i, absl::Time now) {
        *i.mutable_sent_at() = ToTimestamp(now - absl::Hours(1));
        *hiring(i, now).mutable_occurred_at() = ToTimestamp(now - absl::Minutes(30));
      },
      "invitation.relationship.hiring_events[0].occurred_at: must not be after sent_at");
  eval(
      "Evaluate_HiringDateNanosOutOfRange",
      [hiring](v1::Invitation& i, absl::Time now) {
        hiring(i, now).mutable_occurred_at()->set_nanos(1000000000);
      },
      "invitation.relationship.hiring_events[0].occurred_at: not a valid timestamp");
  eval(
      "Evaluate_HiringCompanyId4097Bytes",
      [hiring, k4097](v1::Invitation& i, absl::Time now) { hiring(i, now).set_company_id(k4097); },
      "invitation.relationship.hiring_events[0].company_id: must be at most 4096 bytes");
  eval(
      "Evaluate_SecondHiringEventBad",
      [hiring](v1::Invitation& i, absl::Time now) {
        hiring(i, now);
        hiring(i, now).clear_stage();
      },
      "invitation.relationship.hiring_events[1].stage: required");

  // sent_at.
  eval(
      "Evaluate_SentAtSixMinutesAhead",
      [](v1::Invitation& i, absl::Time now) {
        *i.mutable_sent_at() = ToTimestamp(now + absl::Minutes(6));
      },
      "invitation.sent_at: more than 5 minutes in the future");
  eval(
      "Evaluate_SentAtYear9999",
      [](v1::Invitation& i, absl::Time) {
        *i.mutable_sent_at() = RawTimestamp(kMaxTimestampSeconds, 0);
      },
      "invitation.sent_at: more than 5 minutes in the future");
  eval(
      "Evaluate_SentAtAfterYear9999",
      [](v1::Invitation& i, absl::Time) {
        *i.mutable_sent_at() = RawTimestamp(kMaxTimestampSeconds + 1, 0);
      },
      "invitation.sent_at: not a valid timestamp");
  eval(
      "Evaluate_SentAtBeforeYear1",
      [](v1::Invitation& i, absl::Time) {
        *i.mutable_sent_at() = RawTimestamp(kMinTimestampSeconds - 1, 0);
      },
      "invitation.sent_at: not a valid timestamp");
  eval(
      "Evaluate_SentAtInt64Min",
      [](v1::Invitation& i, absl::Time) {
        *i.mutable_sent_at() = RawTimestamp(std::numeric_limits<int64_t>::min(), 0);
      },
      "invitation.sent_at: not a valid timestamp");
  eval(
      "Evaluate_SentAtNanosOneBillion",
      [](v1::Invitation& i, absl::Time now) {
        i.mutable_sent_at()->set_seconds(absl::ToUnixSeconds(now) - 60);
        i.mutable_sent_at()->set_nanos(1000000000);
      },
      "invitation.sent_at: not a valid timestamp");
  eval(
      "Evaluate_SentAtNanosNegative",
      [](v1::Invitation& i, absl::Time now) {
        i.mutable_sent_at()->set_seconds(absl::ToUnixSeconds(now) - 60);
        i.mutable_sent_at()->set_nanos(-1);
      },
      "invitation.sent_at: not a valid timestamp");

  // Everything wrong at once: every path is named.
  eval(
      "Evaluate_ManyErrorsAtOnce",
      [](v1::Invitation& i, absl::Time now) {
        i.set_invitation_id("");
        i.mutable_sender()->set_member_id(std::string(65, 's'));
        i.set_note(std::string(9000, 'n'));
        *i.mutable_sent_at() = ToTimestamp(now + absl::Hours(1));
      },
      "invitation.invitation_id: must not be empty; invitation.sender.member_id: must be at most "
      "64 bytes, got 65; invitation.note: must be at most 8000 bytes, got 9000; "
      "invitation.sent_at: more than 5 minutes in the future");

  // ---- Evaluator: counts of repeated fields (checked first), the error cap, matching ----
  const auto groups = [](int count, size_t name_bytes) {
    return [count, name_bytes](v1::Invitation& i, absl::Time) {
      for (int g = 0; g < count; ++g) {
        v1::SharedGroup& group = *i.mutable_relationship()->add_shared_groups();
        group.set_group_id(absl::StrCat("g-", g));
        std::string name;
        while (name.size() + 16 <= name_bytes) name += "welcome ";
        group.set_name(absl::StrCat(name, "z", g));
      }
    };
  };
  const auto hiring_events = [hiring](int count) {
    return [hiring, count](v1::Invitation& i, absl::Time now) {
      for (int e = 0; e < count; ++e) hiring(i, now);
    };
  };
  eval("Evaluate_SharedGroups100Accepted", groups(100, 16), "", StatusCode::OK);
  eval("Evaluate_SharedGroups101", groups(101, 16),
       "invitation.relationship.shared_groups: at most 100, got more");
  eval("Evaluate_HiringEvents100Accepted", hiring_events(100), "", StatusCode::OK);
  eval("Evaluate_HiringEvents101", hiring_events(101),
       "invitation.relationship.hiring_events: at most 100, got more");
  // 200,000 empty hiring events (400 KB on the wire): refused by their count, no element looked
  // at, whatever else is wrong.
  eval(
      "Evaluate_200000EmptyHiringEvents",
      [](v1::Invitation& i, absl::Time) {
        i.clear_sender();
        for (int e = 0; e < 200000; ++e) i.mutable_relationship()->add_hiring_events();
      },
      "invitation.relationship.hiring_events: at most 100, got more");
  // 100 hiring events without a stage or a date: 200 errors, 20 listed.
  eval(
      "Evaluate_ErrorsCappedAtTwenty",
      [](v1::Invitation& i, absl::Time) {
        for (int e = 0; e < 100; ++e) i.mutable_relationship()->add_hiring_events();
      },
      "invitation.relationship.hiring_events[9].occurred_at: required; ... and more");
  // A note of 8,000 bytes of one repeated word, 100 groups with 4,000-byte names of that word:
  // judged, promptly (matching is linear in the note).
  eval(
      "Evaluate_MatchingBombAccepted",
      [groups](v1::Invitation& i, absl::Time now) {
        std::string note;
        while (note.size() + 8 <= 8000) note += "welcome ";
        i.set_note(note);
        i.mutable_relationship()->clear_shared_groups();
        groups(100, 4000)(i, now);
      },
      "", StatusCode::OK);
  c.push_back({"EvaluateBatch_SlotOverGroupLimitFailsOnlyItself", Server::kEvaluator,
               kEvaluateBatch, EvaluateBatch(3, 2, groups(101, 16)), StatusCode::OK, "", false, 2,
               StatusCode::INVALID_ARGUMENT});

  // ---- Evaluator: accepted edge cases (the limits are inclusive; unknown fields are kept) ----
  eval(
      "Evaluate_EdgeLimitsExactlyAccepted",
      [](v1::Invitation& i, absl::Time now) {
        i.set_invitation_id(std::string(128, 'i'));
        i.mutable_sender()->set_member_id(std::string(64, 's'));
        i.mutable_recipient()->set_member_id(std::string(64, 'r'));
        i.set_note(std::string(8000, 'n'));
        i.mutable_sender()->set_summary(std::string(4096, 't'));
        *i.mutable_sent_at() = ToTimestamp(now + absl::Minutes(4));
      },
      "", StatusCode::OK);
  eval(
      "Evaluate_UnknownFieldsAccepted",
      [](v1::Invitation& i, absl::Time) {
        google::protobuf::UnknownFieldSet& unknown = *i.GetReflection()->MutableUnknownFields(&i);
        unknown.AddVarint(99, 1);
        unknown.AddLengthDelimited(100, "a field from a newer client");
        google::protobuf::UnknownFieldSet& sender_unknown =
            *i.GetReflection()->MutableUnknownFields(i.mutable_sender());
        sender_unknown.AddFixed64(77, 42);
      },
      "", StatusCode::OK);
  raw_eval(
      "Evaluate_UnknownTopLevelFieldAccepted", kEvaluate,
      [](absl::Time now) {
        return Evaluate([](v1::Invitation&, absl::Time) {})(now) + Tag(15, 2) + Varint(3) + "new";
      },
      StatusCode::OK);
  // Field 1 (invitation) sent with the varint wire type: protobuf keeps it as an unknown
  // field, so the invitation is missing.
  raw_eval(
      "Evaluate_InvitationWithWrongWireType", kEvaluate,
      [](absl::Time) { return Tag(1, 0) + Varint(1); }, StatusCode::INVALID_ARGUMENT,
      "invitation: required");

  // ---- Evaluator: bytes that do not parse: INVALID_ARGUMENT with a fixed message naming the
  // request type (common/typed_callback_service.h, NotTheRequest), before any service code runs
  // ----
  const Body valid_evaluate = Evaluate([](v1::Invitation& i, absl::Time) {
    i.set_note("Hi Jordan, we met at the Berlin meetup, PLACEHOLDER, let us stay in touch.");
    i.mutable_recipient()->set_full_name("Jordan FULLNAME");
  });
  raw_eval("Evaluate_NoteInvalidUtf8Continuation", kEvaluate,
           Patched(valid_evaluate, "PLACEHOLDER", "PLACEHOLD\xC3\x28"),
           StatusCode::INVALID_ARGUMENT, kNotAnEvaluateRequest);
  raw_eval("Evaluate_NoteTruncatedUtf8Sequence", kEvaluate,
           Patched(valid_evaluate, "PLACEHOLDER", "PLACEHOLDE\xE2"), StatusCode::INVALID_ARGUMENT,
           kNotAnEvaluateRequest);
  raw_eval("Evaluate_NoteUtf16Surrogate", kEvaluate,
           Patched(valid_evaluate, "PLACEHOLDER", "PLACEHOL\xED\xA0\x80"),
           StatusCode::INVALID_ARGUMENT, kNotAnEvaluateRequest);
  raw_eval("Evaluate_NameOverlongUtf8", kEvaluate,
           Patched(valid_evaluate, "FULLNAME", "FULLNA\xC0\xAF"), StatusCode::INVALID_ARGUMENT,
           kNotAnEvaluateRequest);
  raw_eval("Evaluate_InvitationIdByteFF", kEvaluate,
           Patched(valid_evaluate, "badinput-inv", "badinput-in\xFF"), StatusCode::INVALID_ARGUMENT,
           kNotAnEvaluateRequest);
  raw_eval(
      "Evaluate_GarbageBytes", kEvaluate,
      [](absl::Time) { return std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11); },
      StatusCode::INVALID_ARGUMENT, kNotAnEvaluateRequest);
  raw_eval(
      "Evaluate_TruncatedMessage", kEvaluate,
      [valid_evaluate](absl::Time now) {
        const std::string whole = valid_evaluate(now);
        return whole.substr(0, whole.size() / 2);
      },
      StatusCode::INVALID_ARGUMENT, kNotAnEvaluateRequest);
  raw_eval(
      "Evaluate_LengthPrefixPastTheEnd", kEvaluate,
      [](absl::Time) { return Tag(1, 2) + Varint(1000) + "short"; }, StatusCode::INVALID_ARGUMENT,
      kNotAnEvaluateRequest);
  raw_eval(
      "Evaluate_FieldNumberZero", kEvaluate, [](absl::Time) { return std::string("\x00\x01", 2); },
      StatusCode::INVALID_ARGUMENT, kNotAnEvaluateRequest);
  raw_eval(
      "Evaluate_UnknownGroupsNested200Deep", kEvaluate,
      [](absl::Time) {
        std::string bytes;
        for (int i = 0; i < 200; ++i) bytes += Tag(99, 3);
        for (int i = 0; i < 200; ++i) bytes += Tag(99, 4);
        return bytes;
      },
      StatusCode::INVALID_ARGUMENT, kNotAnEvaluateRequest);
  raw_eval(
      "Evaluate_HttpRequestAsMessage", kEvaluate,
      [](absl::Time) { return std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); },
      StatusCode::INVALID_ARGUMENT, kNotAnEvaluateRequest);

  // ---- Evaluator: sizes ----
  raw_eval(
      "Evaluate_ExactlyAtSizeLimit", kEvaluate,
      [](absl::Time now) { return EvaluateOfSize(now, kEvaluatorMaxRequestBytes); },
      StatusCode::INVALID_ARGUMENT, "invitation.note: must be at most 8000 bytes");
  raw_eval(
      "Evaluate_OneByteOverSizeLimit", kEvaluate,
      [](absl::Time now) { return EvaluateOfSize(now, kEvaluatorMaxRequestBytes + 1); },
      StatusCode::RESOURCE_EXHAUSTED);
  raw_eval(
      "Evaluate_64MiB", kEvaluate,
      [](absl::Time now) { return EvaluateOfSize(now, 64 * 1024 * 1024); },
      StatusCode::RESOURCE_EXHAUSTED);

  // ---- Evaluator: EvaluateBatch ----
  raw_eval("EvaluateBatch_Empty", kEvaluateBatch, EvaluateBatch(0), StatusCode::INVALID_ARGUMENT,
           "invitations: must hold 1 to 1000 invitations, got 0");
  raw_eval("EvaluateBatch_1001", kEvaluateBatch, EvaluateBatch(1001), StatusCode::INVALID_ARGUMENT,
           "invitations: must hold 1 to 1000 invitations, got more");
  raw_eval("EvaluateBatch_1000Accepted", kEvaluateBatch, EvaluateBatch(1000), StatusCode::OK);
  raw_eval("EvaluateBatch_EveryFieldAtItsLimitOverTheSizeLimit", kEvaluateBatch,
           EveryFieldAtItsLimitBatch, StatusCode::RESOURCE_EXHAUSTED);
  c.push_back({"EvaluateBatch_BadSlotFailsOnlyItself", Server::kEvaluator, kEvaluateBatch,
               EvaluateBatch(3, 1,
                             [](v1::Invitation& i, absl::Time) {
                               i.mutable_recipient()->set_member_id(i.sender().member_id());
                             }),
               StatusCode::OK, "", false, 1, StatusCode::INVALID_ARGUMENT});
  c.push_back({"EvaluateBatch_FutureSlotFailsOnlyItself", Server::kEvaluator, kEvaluateBatch,
               EvaluateBatch(2, 0,
                             [](v1::Invitation& i, absl::Time now) {
                               *i.mutable_sent_at() = ToTimestamp(now + absl::Hours(2));
                             }),
               StatusCode::OK, "", false, 0, StatusCode::INVALID_ARGUMENT});
  raw_eval(
      "EvaluateBatch_InvalidUtf8InSlot", kEvaluateBatch,
      Patched(EvaluateBatch(2, 1, [](v1::Invitation& i, absl::Time) { i.set_note("BADBYTES"); }),
              "BADBYTES", "BADBYTE\x80"),
      StatusCode::INVALID_ARGUMENT, "request: not a valid etiquette.v1.EvaluateBatchRequest");

  // ---- Evaluator: methods it does not serve ----
  raw_eval(
      "Evaluator_UnknownMethod", "/etiquette.v1.InvitationEvaluator/Judge",
      [](absl::Time) { return std::string(); }, StatusCode::UNIMPLEMENTED);
  raw_eval(
      "Evaluator_HistoryMethod", kGetStanding, [](absl::Time) { return std::string(); },
      StatusCode::UNIMPLEMENTED);
  raw_eval(
      "Evaluator_UnknownService", "/no.such.Service/Evaluate",
      [](absl::Time) { return std::string(); }, StatusCode::UNIMPLEMENTED);

  // ---- Evaluator: metadata ----
  const auto with_metadata = [&c](std::string name, std::string key, std::string value,
                                  StatusCode code) {
    BadInputCase one{std::move(name),
                     Server::kEvaluator,
                     kEvaluate,
                     Evaluate([](v1::Invitation&, absl::Time) {}),
                     code,
                     ""};
    one.metadata = {{std::move(key), std::move(value)}};
    c.push_back(std::move(one));
  };
  with_metadata("Evaluate_RequestIdWithSpacesAccepted", "x-request-id", "forged id; level=error",
                StatusCode::OK);
  with_metadata("Evaluate_RequestId4KiBAccepted", "x-request-id", std::string(4096, 'x'),
                StatusCode::OK);
  // Over gRPC's metadata limit: refused before the service sees it (gRPC also closes that
  // client's connection; the other clients' calls go on).
  with_metadata("Evaluate_Metadata64KiB", "x-padding", std::string(64 * 1024, 'x'),
                StatusCode::RESOURCE_EXHAUSTED);

  // ---- History: RecordInvitation ----
  using RI = v1::RecordInvitationRequest;
  const auto ri = [](std::function<void(RI&, absl::Time)> change) {
    return History<RI>([change](RI& r, absl::Time now) {
      ValidRecordInvitation(r, now);
      change(r, now);
    });
  };
  hist(
      "RecordInvitation_Empty", kRecordInvitation,
      [](absl::Time) { return RI().SerializeAsString(); },
      "invitation_id: must not be empty; sender_id: must not be empty; recipient_id: must not be "
      "empty");
  hist("RecordInvitation_InvitationId129Bytes", kRecordInvitation,
       ri([](RI& r, absl::Time) { r.set_invitation_id(std::string(129, 'i')); }),
       "invitation_id: must be at most 128 bytes, got 129");
  hist("RecordInvitation_InvitationIdColonSpace", kRecordInvitation,
       ri([](RI& r, absl::Time) { r.set_invitation_id("inv: 1"); }),
       "invitation_id: may only contain");
  hist("RecordInvitation_SenderIdEmpty", kRecordInvitation,
       ri([](RI& r, absl::Time) { r.clear_sender_id(); }), "sender_id: must not be empty");
  hist("RecordInvitation_SenderId65Bytes", kRecordInvitation,
       ri([](RI& r, absl::Time) { r.set_sender_id(std::string(65, 's')); }),
       "sender_id: must be at most 64 bytes, got 65");
  hist("RecordInvitation_RecipientIdBadCharset", kRecordInvitation,
       ri([](RI& r, absl::Time) { r.set_recipient_id("m\r\nx"); }),
       "recipient_id: may only contain");
  hist("RecordInvitation_SenderIsRecipient", kRecordInvitation,
       ri([](RI& r, absl::Time) { r.set_recipient_id(r.sender_id()); }),
       "recipient_id: must differ from sender_id");
  hist("RecordInvitation_SentAtSixMinutesAhead", kRecordInvitation, ri([](RI& r, absl::Time now) {
         *r.mutable_sent_at() = ToTimestamp(now + absl::Minutes(6));
       }),
       "sent_at: more than 5 minutes in the future");
  hist("RecordInvitation_SentAtNanosOutOfRange", kRecordInvitation,
       ri([](RI& r, absl::Time) { r.mutable_sent_at()->set_nanos(-7); }),
       "sent_at: not a valid timestamp");
  hist("RecordInvitation_SentAtAfterYear9999", kRecordInvitation, ri([](RI& r, absl::Time) {
         *r.mutable_sent_at() = RawTimestamp(kMaxTimestampSeconds + 1, 0);
       }),
       "sent_at: not a valid timestamp");
  hist("RecordInvitation_SenderIdInvalidUtf8", kRecordInvitation,
       Patched(ri([](RI&, absl::Time) {}), "badinput-sender", "badinput-sende\xC3"),
       "request: not a valid etiquette.v1.RecordInvitationRequest");
  hist(
      "RecordInvitation_GarbageBytes", kRecordInvitation,
      [](absl::Time) { return std::string("\x0a\xff\xff\xff\xff\x0f", 6); },
      "request: not a valid etiquette.v1.RecordInvitationRequest");
  hist(
      "RecordInvitation_UnknownFieldsAccepted", kRecordInvitation,
      [ri](absl::Time now) {
        return ri([](RI&, absl::Time) {})(now) + Tag(50, 0) + Varint(7) + Tag(51, 5) + "abcd";
      },
      "", StatusCode::OK);

  // ---- History: RecordResponse ----
  using RR = v1::RecordResponseRequest;
  const auto rr = [](std::function<void(RR&, absl::Time)> change) {
    return History<RR>([change](RR& r, absl::Time now) {
      ValidRecordResponse(r, now);
      change(r, now);
    });
  };
  hist("RecordResponse_ResponseMissing", kRecordResponse,
       rr([](RR& r, absl::Time) { r.clear_response(); }), "response: required");
  hist("RecordResponse_ResponseSix", kRecordResponse,
       rr([](RR& r, absl::Time) { r.set_response(static_cast<v1::InvitationResponse>(6)); }),
       "response: unknown value 6");
  hist("RecordResponse_ResponseNegative", kRecordResponse,
       rr([](RR& r, absl::Time) { r.set_response(static_cast<v1::InvitationResponse>(-1)); }),
       "response: unknown value -1");
  hist("RecordResponse_RespondedAtSixMinutesAhead", kRecordResponse, rr([](RR& r, absl::Time now) {
         *r.mutable_responded_at() = ToTimestamp(now + absl::Minutes(6));
       }),
       "responded_at: more than 5 minutes in the future");
  hist("RecordResponse_RespondedAtNanosOneBillion", kRecordResponse,
       rr([](RR& r, absl::Time) { r.mutable_responded_at()->set_nanos(1000000000); }),
       "responded_at: not a valid timestamp");
  hist("RecordResponse_InvitationIdEmpty", kRecordResponse,
       rr([](RR& r, absl::Time) { r.clear_invitation_id(); }), "invitation_id: must not be empty");
  hist("RecordResponse_SenderIsRecipient", kRecordResponse,
       rr([](RR& r, absl::Time) { r.set_sender_id(r.recipient_id()); }),
       "recipient_id: must differ from sender_id");

  // ---- History: GetStanding and BatchGetStanding ----
  using GS = v1::GetStandingRequest;
  hist(
      "GetStanding_SenderIdEmpty", kGetStanding,
      [](absl::Time) { return GS().SerializeAsString(); }, "sender_id: must not be empty");
  hist("GetStanding_SenderIdBadCharset", kGetStanding,
       History<GS>([](GS& r, absl::Time) { r.set_sender_id("m-\xC3\xA9"); }),
       "sender_id: may only contain");
  hist("GetStanding_RecipientId65Bytes", kGetStanding, History<GS>([](GS& r, absl::Time) {
         r.set_sender_id("badinput-sender");
         r.set_recipient_id(std::string(65, 'r'));
       }),
       "recipient_id: must be at most 64 bytes, got 65");
  hist("GetStanding_SenderIsRecipient", kGetStanding, History<GS>([](GS& r, absl::Time) {
         r.set_sender_id("badinput-sender");
         r.set_recipient_id("badinput-sender");
       }),
       "recipient_id: must differ from sender_id");
  // Over history's request size limit (135,000 bytes): refused unread.
  hist("GetStanding_SenderId1MiB", kGetStanding,
       History<GS>([](GS& r, absl::Time) { r.set_sender_id(std::string(1 << 20, 's')); }),
       "larger than max", StatusCode::RESOURCE_EXHAUSTED);
  const auto batch = [](int size, int bad) {
    return History<v1::BatchGetStandingRequest>(
        [size, bad](v1::BatchGetStandingRequest& r, absl::Time) {
          for (int i = 0; i < size; ++i) {
            GS& one = *r.add_requests();
            one.set_sender_id(absl::StrCat("badinput-sender-", i));
            one.set_recipient_id(i == bad ? "bad id" : "badinput-recipient");
          }
        });
  };
  hist("BatchGetStanding_Empty", kBatchGetStanding, batch(0, -1),
       "requests: must hold 1 to 1000 requests, got 0");
  hist("BatchGetStanding_1001", kBatchGetStanding, batch(1001, -1),
       "requests: must hold 1 to 1000 requests, got more");
  hist("BatchGetStanding_OneBadRequestFailsTheCall", kBatchGetStanding, batch(3, 2),
       "requests[2].recipient_id: may only contain");
  hist("BatchGetStanding_1000Accepted", kBatchGetStanding, batch(1000, -1), "", StatusCode::OK);

  // ---- History: admin calls (with the right token unless said otherwise) ----
  using RS = v1::ReleaseSenderRequest;
  using FM = v1::ForgetMemberRequest;
  const auto admin = [&c](std::string name, std::string method, Body body, std::string contains,
                          StatusCode code = StatusCode::INVALID_ARGUMENT) {
    c.push_back({std::move(name), Server::kHistory, std::move(method), std::move(body), code,
                 std::move(contains), /*admin_token=*/true});
  };
  admin("ReleaseSender_NoReason", kReleaseSender,
        History<RS>([](RS& r, absl::Time) { r.set_sender_id("badinput-sender"); }),
        "reason: required");
  admin("ReleaseSender_WhitespaceReason", kReleaseSender, History<RS>([](RS& r, absl::Time) {
          r.set_sender_id("badinput-sender");
          r.set_reason(" \t\r\n ");
        }),
        "reason: required");
  admin("ReleaseSender_Reason1025Bytes", kReleaseSender, History<RS>([](RS& r, absl::Time) {
          r.set_sender_id("badinput-sender");
          r.set_reason(std::string(1025, 'r'));
        }),
        "reason: must be at most 1024 bytes");
  admin("ReleaseSender_SenderIdEmpty", kReleaseSender,
        History<RS>([](RS& r, absl::Time) { r.set_reason("ticket 1: test"); }),
        "sender_id: must not be empty");
  admin("ReleaseSender_ReasonInvalidUtf8", kReleaseSender,
        Patched(History<RS>([](RS& r, absl::Time) {
                  r.set_sender_id("badinput-sender");
                  r.set_reason("ticket 2: REASON");
                }),
                "REASON", "REASO\xFE"),
        "request: not a valid etiquette.v1.ReleaseSenderRequest");
  hist("ReleaseSender_NoTokenNoReason", kReleaseSender,
       History<RS>([](RS& r, absl::Time) { r.set_sender_id("badinput-sender"); }), "",
       StatusCode::UNAUTHENTICATED);
  for (const auto& [name, authorization] : std::vector<std::pair<std::string, std::string>>{
           {"ReleaseSender_WrongToken", "Bearer wrong-token"},
           {"ReleaseSender_TokenWithoutBearer", kAdminToken},
           {"ReleaseSender_Token4KiB", "Bearer " + std::string(4096, 't')}}) {
    BadInputCase one{name,
                     Server::kHistory,
                     kReleaseSender,
                     History<RS>([](RS& r, absl::Time) {
                       r.set_sender_id("badinput-sender");
                       r.set_reason("ticket 5: test");
                     }),
                     StatusCode::UNAUTHENTICATED,
                     ""};
    one.metadata = {{"authorization", authorization}};
    c.push_back(std::move(one));
  }
  admin("ForgetMember_NoReason", kForgetMember,
        History<FM>([](FM& r, absl::Time) { r.set_member_id("badinput-sender"); }),
        "reason: required");
  admin("ForgetMember_MemberIdEmpty", kForgetMember,
        History<FM>([](FM& r, absl::Time) { r.set_reason("ticket 3: deletion request"); }),
        "member_id: must not be empty");
  admin("ForgetMember_MemberId65Bytes", kForgetMember, History<FM>([](FM& r, absl::Time) {
          r.set_member_id(std::string(65, 'm'));
          r.set_reason("ticket 4: deletion request");
        }),
        "member_id: must be at most 64 bytes, got 65");

  // ---- History: sizes, garbage, methods it does not serve ----
  hist(
      "History_ExactlyAtSizeLimit", kGetStanding,
      [](absl::Time) { return GetStandingOfSize(kHistoryMaxRequestBytes); },
      "recipient_id: must be at most 64 bytes");
  hist(
      "History_OneByteOverSizeLimit", kGetStanding,
      [](absl::Time) { return GetStandingOfSize(kHistoryMaxRequestBytes + 1); }, "",
      StatusCode::RESOURCE_EXHAUSTED);
  hist(
      "BatchGetStanding_LargestValidAccepted", kBatchGetStanding,
      [](absl::Time) {
        v1::BatchGetStandingRequest r;
        for (int i = 0; i < kMaxStandingBatch; ++i) {
          v1::GetStandingRequest& one = *r.add_requests();
          one.set_sender_id(
              absl::StrCat(i, std::string(kMaxMemberIdBytes, 's')).substr(0, kMaxMemberIdBytes));
          one.set_recipient_id(std::string(kMaxMemberIdBytes, 'r'));
        }
        if (r.ByteSizeLong() != kHistoryMaxRequestBytes) throw std::logic_error("not the limit");
        return r.SerializeAsString();
      },
      "", StatusCode::OK);
  hist(
      "History_TruncatedMessage", kRecordResponse,
      [rr](absl::Time now) {
        const std::string whole = rr([](RR&, absl::Time) {})(now);
        return whole.substr(0, whole.size() - 3);
      },
      "request: not a valid etiquette.v1.RecordResponseRequest");
  hist(
      "History_UnknownMethod", "/etiquette.v1.SenderHistory/DeleteEverything",
      [](absl::Time) { return std::string(); }, "", StatusCode::UNIMPLEMENTED);
  hist(
      "History_EvaluatorMethod", kEvaluate, [](absl::Time) { return std::string(); }, "",
      StatusCode::UNIMPLEMENTED);

  // ---- History: events older than the longest window (90 days with the defaults) are refused
  // like future ones; just inside it is accepted (the server's clock runs a little behind the
  // request's, so "exactly 90 days" would be past the bound on arrival) ----
  hist("RecordInvitation_SentAtPastLongestWindow", kRecordInvitation, ri([](RI& r, absl::Time now) {
         *r.mutable_sent_at() = ToTimestamp(now - absl::Hours(24 * 90) - absl::Seconds(1));
       }),
       "sent_at: more than 90 days in the past (the longest window)");
  hist("RecordInvitation_SentAtJustInsideLongestWindow", kRecordInvitation,
       ri([](RI& r, absl::Time now) {
         *r.mutable_sent_at() = ToTimestamp(now - absl::Hours(24 * 90) + absl::Minutes(1));
       }),
       "", StatusCode::OK);
  hist("RecordResponse_RespondedAtPastLongestWindow", kRecordResponse,
       rr([](RR& r, absl::Time now) {
         *r.mutable_responded_at() = ToTimestamp(now - absl::Hours(24 * 90) - absl::Seconds(1));
       }),
       "responded_at: more than 90 days in the past (the longest window)");
  return c;
}

}  // namespace

const std::vector<BadInputCase>& Corpus() {
  static const std::vector<BadInputCase>* const corpus = new std::vector<BadInputCase>(Build());
  return *corpus;
}

}  // namespace etiquette::badinput
