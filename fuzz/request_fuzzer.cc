// libFuzzer target over request parsing, validation and the rules: the code every request of
// either service goes through after gRPC hands it the bytes, without the network.
//
// Input: the first byte picks a target (modulo kTargetCount); the rest is that target's payload.
//   kEvaluate, kEvaluateBatch               a serialized EvaluateRequest / EvaluateBatchRequest,
//                                           judged by a standalone Evaluator (default rules);
//                                           each batch slot cross-checked against Evaluate alone
//   kEvaluateAskingHistory,                 [mode][u16 LE n][n bytes: SenderStanding][request]:
//   kEvaluateBatchAskingHistory             the Evaluator asks a history that answers that
//                                           (hostile) standing, or fails (fail open / closed)
//   kRecordInvitation ... kForgetMember     a serialized history request, handled by History
//                                           over a fresh InMemoryHistoryStore
//   kSequence                               [op][clock step][u16 LE n][n bytes] records: history
//                                           requests and evaluations against one History, the
//                                           clock moving forward between them
// Every answer is checked against the API's promises (codes, decision, likelihood in [0, 1],
// answers that serialize to valid protobuf, one verdict per invitation); a broken promise
// aborts, so libFuzzer reports it like a crash. fuzz/make_seed_corpus.cc writes seeds in this
// format.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/field_count_limits.h"
#include "etiquette/v1/evaluator.pb.h"
#include "etiquette/v1/history.pb.h"
#include "evaluator/config.h"
#include "evaluator/evaluator.h"
#include "evaluator/evaluator_service.h"
#include "evaluator/history_client.h"
#include "evaluator/rules_engine.h"
#include "fuzz/fuzz_input.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/message_differencer.h"
#include "history/config.h"
#include "history/history.h"
#include "history/history_service.h"
#include "history/in_memory_history_store.h"
#include "history/recipient_hasher.h"
#include "spdlog/spdlog.h"
#include "tests/support/await.h"
#include "tests/support/fake_history_client.h"

namespace etiquette::fuzz {
namespace {

// A broken promise: print it and abort, which libFuzzer reports with the input.
[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "request_fuzzer: broken promise: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

void Require(bool ok, const std::string& what) {
  if (!ok) Fail(what);
}

// What the server would send back must serialize and parse again: a proto3 string field
// holding invalid UTF-8 (a note cut inside a code point, say) makes the client's parse fail.
void RequireRoundTrip(const google::protobuf::Message& message, const char* what) {
  std::string bytes;
  Require(message.SerializeToString(&bytes), absl::StrCat(what, ": does not serialize"));
  std::unique_ptr<google::protobuf::Message> again(message.New());
  Require(again->ParseFromString(bytes),
          absl::StrCat(what, ": does not parse back (invalid UTF-8 in a string field?)"));
}

// A failed call may only be INVALID_ARGUMENT, with a message.
void RequireInvalidArgument(const absl::Status& status, const char* what) {
  Require(status.code() == absl::StatusCode::kInvalidArgument,
          absl::StrCat(what, ": failed with ", status.ToString()));
  Require(!status.message().empty(), absl::StrCat(what, ": INVALID_ARGUMENT without a message"));
}

// How many elements the repeated field at `path` ("a.b.c", as in RepeatedFieldLimit) holds in
// `message`, summed over every parent.
int64_t CountAt(const google::protobuf::Message& message, absl::string_view path) {
  const size_t dot = path.find('.');
  const std::string name(path.substr(0, dot));
  const google::protobuf::FieldDescriptor* field = message.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr) Fail(absl::StrCat("count limit names no field: ", name));
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  if (dot == absl::string_view::npos) return reflection.FieldSize(message, field);
  const absl::string_view rest = path.substr(dot + 1);
  if (!field->is_repeated()) {
    return reflection.HasField(message, field)
               ? CountAt(reflection.GetMessage(message, field), rest)
               : 0;
  }
  int64_t count = 0;
  for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
    count += CountAt(reflection.GetRepeatedMessage(message, field, i), rest);
  }
  return count;
}

// The fields the parser kept as unknown, in `message` and every message below it.
int64_t UnknownFieldsIn(const google::protobuf::Message& message) {
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  int64_t count = reflection.GetUnknownFields(message).field_count();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* field : fields) {
    if (field->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE) continue;
    if (!field->is_repeated()) {
      count += UnknownFieldsIn(reflection.GetMessage(message, field));
      continue;
    }
    for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
      count += UnknownFieldsIn(reflection.GetRepeatedMessage(message, field, i));
    }
  }
  return count;
}

// Parses `bytes` into `message` as the server does: the counts on the bytes first
// (FieldCountLimits with the service's `count_limits`), then the parser. False when the server
// would not run the handler: a count over its limit (INVALID_ARGUMENT), or bytes that are not
// the message. Checks the count check against the parsed message both ways: what it lets
// through is within every limit, and what it refuses (when the bytes parse) is over one.
bool Parse(const std::string& bytes, google::protobuf::Message* message,
           const std::vector<RepeatedFieldLimit>& count_limits = {}) {
  const FieldCountLimits limits(*message->GetDescriptor(), count_limits);
  google::protobuf::io::ArrayInputStream stream(bytes.data(), static_cast<int>(bytes.size()));
  const absl::Status counted = limits.Check(&stream);
  const bool parsed = message->ParseFromString(bytes);
  bool over = false;
  if (parsed) {
    for (const RepeatedFieldLimit& limit : count_limits) {
      over = over || CountAt(*message, limit.path) > limit.max;
    }
    over = over || UnknownFieldsIn(*message) > kMaxUnknownFields;
  }
  if (!counted.ok()) {
    RequireInvalidArgument(counted, "the count check");
    Require(!parsed || over, "the count check refused a request within every limit");
    return false;
  }
  Require(!over, "the count check let through a request over a limit");
  return parsed;
}

void CheckVerdict(const v1::Verdict& verdict, const char* what) {
  Require(verdict.decision() >= v1::DECISION_SEND && verdict.decision() <= v1::DECISION_BLOCK,
          absl::StrCat(what, ": decision ", verdict.decision()));
  const double p = verdict.acceptance_likelihood();
  Require(std::isfinite(p) && p >= 0.0 && p <= 1.0, absl::StrCat(what, ": likelihood ", p));
  Require(!verdict.rules_version().empty(), absl::StrCat(what, ": no rules_version"));
  Require(!verdict.has_error(), absl::StrCat(what, ": a verdict with an error"));
  for (const v1::Finding& finding : verdict.findings()) {
    Require(!finding.rule_id().empty(), absl::StrCat(what, ": finding without rule_id"));
    Require(
        v1::Severity_IsValid(finding.severity()) && finding.severity() != v1::SEVERITY_UNSPECIFIED,
        absl::StrCat(what, ": finding ", finding.rule_id(), " severity ", finding.severity()));
    Require(v1::Decision_IsValid(finding.outcome()),
            absl::StrCat(what, ": finding ", finding.rule_id(), " outcome ", finding.outcome()));
  }
  RequireRoundTrip(verdict, what);
}

void CheckStanding(const v1::SenderStanding& standing, const char* what) {
  Require(standing.state() >= v1::STANDING_STATE_GOOD &&
              standing.state() <= v1::STANDING_STATE_RESTRICTED,
          absl::StrCat(what, ": state ", standing.state()));
  const double rate = standing.acceptance_rate();
  Require(std::isfinite(rate) && rate >= 0.0 && rate <= 1.0,
          absl::StrCat(what, ": acceptance_rate ", rate));
  Require(standing.spam_reports_in_window() <= standing.reports_in_window(),
          absl::StrCat(what, ": more spam reports than reports"));
  RequireRoundTrip(standing, what);
}

// The rules and the config every target shares, built once.
struct Shared {
  std::shared_ptr<const RulesEngine> engine;
  v1::HistoryConfig history_config;
  std::unique_ptr<RecipientHasher> hasher;
};

const Shared& Globals() {
  static const Shared* const shared = [] {
    auto* s = new Shared;
    absl::StatusOr<std::unique_ptr<RulesEngine>> engine =
        RulesEngine::Create(DefaultEvaluatorConfig());
    if (!engine.ok()) Fail("default rules do not build: " + engine.status().ToString());
    s->engine = std::move(*engine);
    s->history_config = DefaultHistoryConfig();
    absl::StatusOr<RecipientHasher> hasher = RecipientHasher::Create("fuzz-hmac-secret-0123456789");
    if (!hasher.ok()) Fail("hasher: " + hasher.status().ToString());
    s->hasher = std::make_unique<RecipientHasher>(std::move(*hasher));
    return s;
  }();
  return *shared;
}

// The evaluator's view of a real History (in process), as GrpcHistoryClient would give it;
// answers inline.
class InProcessHistory final : public HistoryClient {
 public:
  explicit InProcessHistory(History& history) : history_(history) {}
  void GetStanding(const v1::GetStandingRequest& request, absl::Duration,
                   StandingDone done) override {
    absl::StatusOr<v1::GetStandingResponse> response = history_.GetStanding(request);
    if (!response.ok()) return done(response.status());
    done(response->standing());
  }
  void BatchGetStanding(const v1::BatchGetStandingRequest& request, absl::Duration,
                        StandingsDone done) override {
    absl::StatusOr<v1::BatchGetStandingResponse> response = history_.BatchGetStanding(request);
    if (!response.ok()) return done(response.status());
    if (response->standings_size() != request.requests_size()) Fail("history batch count");
    done(std::vector<v1::SenderStanding>(response->standings().begin(),
                                         response->standings().end()));
  }

 private:
  etiquette::testing::BlockingHistory history_;
};

void RunEvaluate(const Evaluator& evaluator, const std::string& bytes) {
  v1::EvaluateRequest request;
  if (!Parse(bytes, &request, EvaluateCountLimits())) return;
  absl::StatusOr<v1::Verdict> verdict = evaluator.Evaluate(request);
  if (!verdict.ok()) {
    RequireInvalidArgument(verdict.status(), "Evaluate");
    return;
  }
  CheckVerdict(*verdict, "Evaluate");
  Require(verdict->invitation_id() == request.invitation().invitation_id(),
          "Evaluate: verdict for another invitation id");
}

// With `cross_check` (a standalone evaluator, whose answers depend on nothing else), every slot
// must also be what Evaluate answers for that invitation alone: the same verdict, or
// INVALID_ARGUMENT where the slot holds an error.
void RunEvaluateBatch(const Evaluator& evaluator, const std::string& bytes,
                      bool cross_check = false) {
  v1::EvaluateBatchRequest request;
  if (!Parse(bytes, &request, EvaluateBatchCountLimits())) return;
  absl::StatusOr<v1::EvaluateBatchResponse> response = evaluator.EvaluateBatch(request);
  if (!response.ok()) {
    RequireInvalidArgument(response.status(), "EvaluateBatch");
    Require(request.invitations_size() == 0 || request.invitations_size() > kMaxBatchSize,
            "EvaluateBatch: a batch of acceptable size failed as a whole");
    return;
  }
  Require(response->verdicts_size() == request.invitations_size(),
          "EvaluateBatch: not one verdict per invitation");
  for (int i = 0; i < response->verdicts_size(); ++i) {
    const v1::Verdict& verdict = response->verdicts(i);
    Require(verdict.invitation_id() == request.invitations(i).invitation_id(),
            absl::StrCat("EvaluateBatch: slot ", i, " out of order"));
    if (verdict.has_error()) {
      Require(verdict.error().code() == static_cast<int>(absl::StatusCode::kInvalidArgument),
              absl::StrCat("EvaluateBatch: slot error code ", verdict.error().code()));
      RequireRoundTrip(verdict, "EvaluateBatch error slot");
    } else {
      CheckVerdict(verdict, "EvaluateBatch slot");
    }
    if (!cross_check) continue;
    v1::EvaluateRequest alone;
    *alone.mutable_invitation() = request.invitations(i);
    absl::StatusOr<v1::Verdict> single = evaluator.Evaluate(alone);
    if (verdict.has_error()) {
      Require(!single.ok() && single.status().code() == absl::StatusCode::kInvalidArgument,
              absl::StrCat("EvaluateBatch slot ", i, " is an error, Evaluate alone is not"));
    } else {
      Require(single.ok(),
              absl::StrCat("EvaluateBatch slot ", i, " judged, Evaluate alone failed"));
      Require(google::protobuf::util::MessageDifferencer::Equals(*single, verdict),
              absl::StrCat("EvaluateBatch slot ", i, " differs from Evaluate alone"));
    }
  }
}

// The bytes as an EvaluateRequest or as an EvaluateBatchRequest (cross-checked slot by slot
// against Evaluate when `cross_check`).
void RunEvaluateBoth(const Evaluator& evaluator, const std::string& bytes, bool batch,
                     bool cross_check = false) {
  if (batch) {
    RunEvaluateBatch(evaluator, bytes, cross_check);
  } else {
    RunEvaluate(evaluator, bytes);
  }
}

// [mode][u16 LE n][n bytes SenderStanding][request]
void RunEvaluateAskingHistory(Input& in, bool batch) {
  const uint8_t mode = in.Byte();
  v1::SenderStanding standing;
  const bool parsed = standing.ParseFromString(in.Chunk(in.U16()));
  if (!parsed && mode % 3 == 0) return;  // history answered bytes that are not a standing
  const bool fail = mode % 3 != 0;
  // History answers this one standing for everyone, or fails; inline.
  testing::FakeHistoryClient history;
  history.standing_of = [&standing](const v1::GetStandingRequest&) { return standing; };
  if (fail) history.status = absl::UnavailableError("scripted: history is down");
  const HistoryFailMode fail_mode =
      mode % 3 == 2 ? HistoryFailMode::kClosed : HistoryFailMode::kOpen;
  Evaluator evaluator(
      Globals().engine, [] { return FuzzNow(); }, &history, fail_mode);
  RunEvaluateBoth(evaluator, in.Rest(), batch);
}

// One history request against `history`; checks its answer.
void RunHistoryRequest(History& history, Target target, const std::string& bytes) {
  // The in-memory store answers inline: the waits return at once.
  etiquette::testing::BlockingHistory blocking(history);
  switch (target) {
    case Target::kRecordInvitation: {
      v1::RecordInvitationRequest request;
      if (!Parse(bytes, &request)) return;
      absl::StatusOr<v1::RecordInvitationResponse> r = blocking.RecordInvitation(request);
      if (!r.ok()) return RequireInvalidArgument(r.status(), "RecordInvitation");
      CheckStanding(r->standing(), "RecordInvitation");
      return;
    }
    case Target::kRecordResponse: {
      v1::RecordResponseRequest request;
      if (!Parse(bytes, &request)) return;
      absl::StatusOr<v1::RecordResponseResponse> r = blocking.RecordResponse(request);
      if (!r.ok()) return RequireInvalidArgument(r.status(), "RecordResponse");
      CheckStanding(r->standing(), "RecordResponse");
      return;
    }
    case Target::kGetStanding: {
      v1::GetStandingRequest request;
      if (!Parse(bytes, &request)) return;
      absl::StatusOr<v1::GetStandingResponse> r = blocking.GetStanding(request);
      if (!r.ok()) return RequireInvalidArgument(r.status(), "GetStanding");
      CheckStanding(r->standing(), "GetStanding");
      return;
    }
    case Target::kBatchGetStanding: {
      v1::BatchGetStandingRequest request;
      if (!Parse(bytes, &request, BatchGetStandingCountLimits())) return;
      absl::StatusOr<v1::BatchGetStandingResponse> r = blocking.BatchGetStanding(request);
      if (!r.ok()) return RequireInvalidArgument(r.status(), "BatchGetStanding");
      Require(r->standings_size() == request.requests_size(), "BatchGetStanding: count");
      for (const v1::SenderStanding& s : r->standings()) CheckStanding(s, "BatchGetStanding");
      return;
    }
    case Target::kReleaseSender: {
      v1::ReleaseSenderRequest request;
      if (!Parse(bytes, &request)) return;
      absl::StatusOr<v1::ReleaseSenderResponse> r = blocking.ReleaseSender(request);
      if (!r.ok()) return RequireInvalidArgument(r.status(), "ReleaseSender");
      CheckStanding(r->standing(), "ReleaseSender");
      Require(r->standing().state() != v1::STANDING_STATE_RESTRICTED,
              "ReleaseSender: still restricted");
      return;
    }
    case Target::kForgetMember: {
      v1::ForgetMemberRequest request;
      if (!Parse(bytes, &request)) return;
      absl::Status s = blocking.ForgetMember(request);
      if (!s.ok()) RequireInvalidArgument(s, "ForgetMember");
      return;
    }
    default:
      return;
  }
}

// A fresh History over a fresh in-memory store, on the fuzz clock `*now`.
struct HistoryWorld {
  explicit HistoryWorld(absl::Time* now)
      : store(StorePolicyFrom(Globals().history_config)),
        history(store, *Globals().hasher, Globals().history_config, [now] { return *now; }) {}
  InMemoryHistoryStore store;
  History history;
};

// Records of [op][clock step][u16 LE n][n bytes] against one History and an Evaluator asking
// it, the clock moving forward by up to ~45 days between records.
void RunSequence(Input& in) {
  absl::Time now = FuzzNow();
  HistoryWorld world(&now);
  InProcessHistory client(world.history);
  Evaluator evaluator(
      Globals().engine, [&now] { return now; }, &client);
  for (int records = 0; !in.empty() && records < 64; ++records) {
    const uint8_t op = in.Byte();
    const uint8_t step = in.Byte();
    now += absl::Minutes(int64_t{step} * step);
    const std::string bytes = in.Chunk(in.U16());
    const SequenceOp which = static_cast<SequenceOp>(op % kSequenceOpCount);
    switch (which) {
      case SequenceOp::kEvaluate:
        RunEvaluate(evaluator, bytes);
        break;
      case SequenceOp::kEvaluateBatch:
        RunEvaluateBatch(evaluator, bytes);
        break;
      default:
        RunHistoryRequest(world.history, HistoryTargetOf(which), bytes);
        break;
    }
  }
}

void RunOne(const uint8_t* data, size_t size) {
  Input in(data, size);
  if (in.empty()) return;
  const Target target = static_cast<Target>(in.Byte() % kTargetCount);
  switch (target) {
    case Target::kEvaluate:
    case Target::kEvaluateBatch: {
      Evaluator evaluator(Globals().engine, [] { return FuzzNow(); });
      RunEvaluateBoth(evaluator, in.Rest(), target == Target::kEvaluateBatch,
                      /*cross_check=*/true);
      return;
    }
    case Target::kEvaluateAskingHistory:
    case Target::kEvaluateBatchAskingHistory:
      RunEvaluateAskingHistory(in, target == Target::kEvaluateBatchAskingHistory);
      return;
    case Target::kSequence:
      RunSequence(in);
      return;
    default: {
      absl::Time now = FuzzNow();
      HistoryWorld world(&now);
      RunHistoryRequest(world.history, target, in.Rest());
      return;
    }
  }
}

}  // namespace
}  // namespace etiquette::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);     // admin actions log; keep the output clean
  google::protobuf::SetLogHandler(nullptr);  // "invalid UTF-8" parse errors, by the million
  etiquette::fuzz::Globals();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  etiquette::fuzz::RunOne(data, size);
  return 0;
}
