// A hostile (or buggy) client against the real binaries with their deployed limits (the
// defaults; the manifests override none of them). Every class of abuse issue 11 names: huge
// repeated fields, huge batches, requests over the size limit, matching bombs, bytes that are
// not the request, unknown fields, many idle connections and streams, a sender with 100,000
// unanswered invitations. Each call gets its exact code in under a second and costs the server
// under 100 ms of CPU; the process' peak RSS (VmHWM) stays under half the pod limit and its
// threads under a fixed bound; a valid call right after succeeds. The figures are printed as
// "[figures] hostile ..." lines (the README's Reliability section quotes them).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/proto_time.h"
#include "etiquette/v1/evaluator.grpc.pb.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "evaluator/max_request_size.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "hostile/hostile_servers.h"
#include "support/test_invitations.h"

namespace etiquette::hostile {
namespace {

using testing::ChildProcess;

constexpr char kEvaluate[] = "/etiquette.v1.InvitationEvaluator/Evaluate";
constexpr char kEvaluateBatch[] = "/etiquette.v1.InvitationEvaluator/EvaluateBatch";
constexpr char kRecordInvitation[] = "/etiquette.v1.SenderHistory/RecordInvitation";
constexpr char kGetStanding[] = "/etiquette.v1.SenderHistory/GetStanding";
constexpr char kBatchGetStanding[] = "/etiquette.v1.SenderHistory/BatchGetStanding";

// The bounds every hostile call is held to.
constexpr int64_t kPodMemoryLimitKib = 256 * 1024;  // deploy/base: resources.limits.memory 256Mi
constexpr int64_t kMaxPeakRssKib = kPodMemoryLimitKib / 2;
constexpr int64_t kMaxServerCpuUs = 100000;  // per hostile call
constexpr absl::Duration kMaxAnswerTime = absl::Seconds(1);
// Threads: the idle process' plus the sync-API bound (--grpc_max_threads 32) and gRPC's own.
constexpr int kMaxExtraThreads = 32 + 16;

// n copies of an empty element of repeated field `field_number` (tag, length 0).
std::string EmptyElements(int field_number, int64_t n) {
  const char tag = static_cast<char>((field_number << 3) | 2);
  std::string bytes;
  bytes.reserve(2 * n);
  for (int64_t i = 0; i < n; ++i) bytes.append({tag, '\0'});
  return bytes;
}

// `payload` as the length-delimited field `field_number`.
std::string LengthDelimited(int field_number, const std::string& payload) {
  std::string bytes(1, static_cast<char>((field_number << 3) | 2));
  for (uint64_t length = payload.size(); true; length >>= 7) {
    if (length < 0x80) {
      bytes.push_back(static_cast<char>(length));
      break;
    }
    bytes.push_back(static_cast<char>((length & 0x7f) | 0x80));
  }
  return bytes + payload;
}

v1::Invitation ValidInvitation(int i = 0) {
  v1::Invitation invitation = testing::GoodInvitation();
  invitation.set_invitation_id(absl::StrCat("inv-hostile-", i));
  *invitation.mutable_sent_at() = ToTimestamp(absl::Now());
  return invitation;
}

std::string ValidEvaluate() {
  v1::EvaluateRequest request;
  *request.mutable_invitation() = ValidInvitation();
  return request.SerializeAsString();
}

// The worst note for the name and phrase matchers: one word repeated to the note's limit, and
// 100 groups (the limit) whose 4,096-byte names are the same word repeated.
v1::Invitation MatchingBomb(int i = 0) {
  v1::Invitation invitation = ValidInvitation(i);
  std::string note;
  while (note.size() + 5 <= 8000) note += "data ";
  invitation.set_note(note);
  std::string name;
  while (name.size() + 5 <= 4096) name += "data ";
  for (int g = 0; g < 100; ++g) {
    v1::SharedGroup& group = *invitation.mutable_relationship()->add_shared_groups();
    group.set_group_id(absl::StrCat("g-", g));
    group.set_name(name);
  }
  return invitation;
}

struct Figures {
  std::string what;
  grpc::StatusCode code;
  absl::Duration answer;
  int64_t server_cpu_us;
  int64_t peak_rss_kib;
  int threads;
};

class HostileClientTest : public ServersTest {
 protected:
  // Sends `bytes` to `method` on the server `process` (port `port`) and holds it to the bounds:
  // the code `expected` (and `message`, when not empty) within kMaxAnswerTime, under
  // kMaxServerCpuUs of the server's CPU, the process under kMaxPeakRssKib and its thread bound;
  // then a valid call (`valid_method`, `valid_bytes`) succeeds.
  void ExpectBounded(const std::string& what, ChildProcess* process, int port,
                     const std::string& method, const std::string& bytes, grpc::StatusCode expected,
                     const std::string& message, const std::string& valid_method,
                     const std::string& valid_bytes) {
    const ProcessUsage before = UsageOf(process->pid());
    const absl::Time start = absl::Now();
    const grpc::Status status = CallRaw(port, method, bytes, absl::Seconds(10));
    const absl::Duration answer = absl::Now() - start;
    const ProcessUsage after = UsageOf(process->pid());
    const Figures figures{what,
                          status.error_code(),
                          answer,
                          after.cpu_us - before.cpu_us,
                          after.peak_rss_kib,
                          std::max(before.threads, after.threads)};
    EXPECT_EQ(status.error_code(), expected) << what << ": " << status.error_message();
    if (!message.empty()) {
      EXPECT_EQ(status.error_message(), message) << what;
    }
    EXPECT_LT(answer, kMaxAnswerTime) << what;
    EXPECT_LT(figures.server_cpu_us, kMaxServerCpuUs) << what;
    ExpectWithinMemoryAndThreads(what, process);
    const grpc::Status valid = CallRaw(port, valid_method, valid_bytes, absl::Seconds(5));
    EXPECT_EQ(valid.error_code(), grpc::StatusCode::OK)
        << what << ", then a valid call: " << valid.error_message();
    std::printf(
        "[figures] hostile %s: %s in %.0f ms, server CPU %.1f ms, peak RSS %.1f MiB, %d "
        "threads\n",
        what.c_str(), status.ok() ? "OK" : absl::StrCat("code ", status.error_code()).c_str(),
        absl::ToDoubleMilliseconds(answer), figures.server_cpu_us / 1000.0,
        figures.peak_rss_kib / 1024.0, figures.threads);
  }

  void ExpectWithinMemoryAndThreads(const std::string& what, ChildProcess* process) {
    const ProcessUsage usage = UsageOf(process->pid());
    EXPECT_LT(usage.peak_rss_kib, kMaxPeakRssKib) << what << ": VmHWM " << usage.peak_rss_kib;
    EXPECT_LE(usage.threads, idle_threads_[process] + kMaxExtraThreads) << what;
  }

  ChildProcess* Evaluator(int* port) {
    ChildProcess* process = StartEvaluator({}, port);
    if (process == nullptr) return nullptr;
    EXPECT_TRUE(CallRaw(*port, kEvaluate, ValidEvaluate(), absl::Seconds(5)).ok());
    idle_threads_[process] = UsageOf(process->pid()).threads;
    return process;
  }

  ChildProcess* History(int* port) {
    ChildProcess* process = StartHistory({}, port);
    if (process == nullptr) return nullptr;
    EXPECT_TRUE(CallRaw(*port, kGetStanding, ValidGetStanding(), absl::Seconds(5)).ok());
    idle_threads_[process] = UsageOf(process->pid()).threads;
    return process;
  }

  static std::string ValidGetStanding() {
    v1::GetStandingRequest request;
    request.set_sender_id("m-sender");
    request.set_recipient_id("m-recipient");
    return request.SerializeAsString();
  }

  std::map<ChildProcess*, int> idle_threads_;
};

// EvaluateRequest{invitation{relationship{...}}}: the repeated fields' bytes wrapped in their
// parents.
std::string EvaluateWithRelationship(const std::string& relationship_fields) {
  // Invitation.relationship is field 8; EvaluateRequest.invitation is field 1.
  return LengthDelimited(
      1, LengthDelimited(v1::Invitation::kRelationshipFieldNumber, relationship_fields));
}

TEST_F(HostileClientTest, HugeRepeatedFieldsAreRefusedBeforeParsing) {
  int port = 0;
  ChildProcess* evaluator = Evaluator(&port);
  ASSERT_NE(evaluator, nullptr);
  // Two million empty hiring events: 4 MB on the wire, ~150 MB parsed.
  ExpectBounded(
      "Evaluate of 2,000,000 empty hiring_events (4 MB)", evaluator, port, kEvaluate,
      EvaluateWithRelationship(EmptyElements(v1::Relationship::kHiringEventsFieldNumber, 2000000)),
      grpc::StatusCode::INVALID_ARGUMENT,
      "invitation.relationship.hiring_events: at most 100, got more", kEvaluate, ValidEvaluate());
  // As many empty groups as the size limit holds.
  const int64_t groups = (kEvaluatorMaxRequestBytes - 16) / 2;
  ExpectBounded(
      absl::StrCat("Evaluate of ", groups, " empty shared_groups (4 MiB)"), evaluator, port,
      kEvaluate,
      EvaluateWithRelationship(EmptyElements(v1::Relationship::kSharedGroupsFieldNumber, groups)),
      grpc::StatusCode::INVALID_ARGUMENT,
      "invitation.relationship.shared_groups: at most 100, got more", kEvaluate, ValidEvaluate());
}

TEST_F(HostileClientTest, HugeBatchesAreRefusedBeforeParsing) {
  int port = 0;
  ChildProcess* evaluator = Evaluator(&port);
  ASSERT_NE(evaluator, nullptr);
  const int64_t slots = (kEvaluatorMaxRequestBytes - 16) / 2;
  ExpectBounded(absl::StrCat("EvaluateBatch of ", slots, " empty invitations (4 MiB)"), evaluator,
                port, kEvaluateBatch, EmptyElements(1, slots), grpc::StatusCode::INVALID_ARGUMENT,
                "invitations: must hold 1 to 1000 invitations, got more", kEvaluate,
                ValidEvaluate());
  // 1,000 slots (the limit), each with 1,500 empty groups: 3 MB, 1,500,000 groups.
  std::string slot =
      LengthDelimited(v1::Invitation::kRelationshipFieldNumber,
                      EmptyElements(v1::Relationship::kSharedGroupsFieldNumber, 1500));
  std::string batch;
  for (int i = 0; i < 1000; ++i) batch += LengthDelimited(1, slot);
  ExpectBounded("EvaluateBatch of 1,000 invitations with 1,500 empty groups each (3 MB)", evaluator,
                port, kEvaluateBatch, batch, grpc::StatusCode::INVALID_ARGUMENT,
                "invitations.relationship.shared_groups: at most 100000 in a batch (100 per "
                "invitation), got more",
                kEvaluate, ValidEvaluate());

  int history_port = 0;
  ChildProcess* history = History(&history_port);
  ASSERT_NE(history, nullptr);
  // As many empty standing requests as history's size limit (135,000 bytes) holds.
  ExpectBounded("BatchGetStanding of 67,490 empty requests (135 KB)", history, history_port,
                kBatchGetStanding, EmptyElements(1, 67490), grpc::StatusCode::INVALID_ARGUMENT,
                "requests: must hold 1 to 1000 requests, got more", kGetStanding,
                ValidGetStanding());
}

TEST_F(HostileClientTest, RequestsOverTheSizeLimitAreRefusedUnread) {
  int port = 0;
  ChildProcess* evaluator = Evaluator(&port);
  ASSERT_NE(evaluator, nullptr);
  ExpectBounded(
      "Evaluate one byte over 4 MiB", evaluator, port, kEvaluate,
      LengthDelimited(1, LengthDelimited(v1::Invitation::kNoteFieldNumber,
                                         std::string(kEvaluatorMaxRequestBytes - 9, 'a'))),
      grpc::StatusCode::RESOURCE_EXHAUSTED, "", kEvaluate, ValidEvaluate());
  int history_port = 0;
  ChildProcess* history = History(&history_port);
  ASSERT_NE(history, nullptr);
  ExpectBounded("GetStanding of 1 MB", history, history_port, kGetStanding,
                LengthDelimited(1, std::string(1 << 20, 'm')), grpc::StatusCode::RESOURCE_EXHAUSTED,
                "", kGetStanding, ValidGetStanding());
}

TEST_F(HostileClientTest, MatchingBombsCostLittleCpu) {
  int port = 0;
  ChildProcess* evaluator = Evaluator(&port);
  ASSERT_NE(evaluator, nullptr);
  v1::EvaluateRequest one;
  *one.mutable_invitation() = MatchingBomb();
  ExpectBounded("Evaluate of a matching bomb (one word x 1,600, 100 names of 4 KB)", evaluator,
                port, kEvaluate, one.SerializeAsString(), grpc::StatusCode::OK, "", kEvaluate,
                ValidEvaluate());
  // A batch of bombs up to the size limit.
  v1::EvaluateBatchRequest batch;
  while (batch.ByteSizeLong() + one.ByteSizeLong() < kEvaluatorMaxRequestBytes) {
    *batch.add_invitations() = MatchingBomb(batch.invitations_size());
  }
  ExpectBounded(
      absl::StrCat("EvaluateBatch of ", batch.invitations_size(), " matching bombs (4 MiB)"),
      evaluator, port, kEvaluateBatch, batch.SerializeAsString(), grpc::StatusCode::OK, "",
      kEvaluate, ValidEvaluate());
}

TEST_F(HostileClientTest, BytesThatAreNotTheRequestAreInvalidArgument) {
  int port = 0;
  ChildProcess* evaluator = Evaluator(&port);
  ASSERT_NE(evaluator, nullptr);
  ExpectBounded("Evaluate of 4 MiB of 0xff", evaluator, port, kEvaluate,
                std::string(kEvaluatorMaxRequestBytes - 16, '\xff'),
                grpc::StatusCode::INVALID_ARGUMENT,
                "request: not a valid etiquette.v1.EvaluateRequest (malformed protobuf, or a "
                "string field that is not UTF-8)",
                kEvaluate, ValidEvaluate());
  v1::EvaluateRequest request;
  *request.mutable_invitation() = ValidInvitation();
  request.mutable_invitation()->set_note(std::string(7000, 'a') + "@(");
  std::string not_utf8 = request.SerializeAsString();
  not_utf8.replace(not_utf8.find("a@("), 3, "a\xc3\x28");  // a lone lead byte
  ExpectBounded("Evaluate with a note that is not UTF-8", evaluator, port, kEvaluate, not_utf8,
                grpc::StatusCode::INVALID_ARGUMENT,
                "request: not a valid etiquette.v1.EvaluateRequest (malformed protobuf, or a "
                "string field that is not UTF-8)",
                kEvaluate, ValidEvaluate());
}

// Unknown fields are kept by the parser (a newer client may send them): 4 MiB of them, and
// just over the cap. At the cap, the call is judged.
TEST_F(HostileClientTest, UnknownFieldsAreBounded) {
  int port = 0;
  ChildProcess* evaluator = Evaluator(&port);
  ASSERT_NE(evaluator, nullptr);
  // Field 15 (unused), varint 0: 2 bytes each.
  std::string unknown;
  const int64_t fields = (kEvaluatorMaxRequestBytes - 16) / 2;
  unknown.reserve(2 * fields);
  for (int64_t i = 0; i < fields; ++i) unknown.append({static_cast<char>(15 << 3), '\0'});
  ExpectBounded(absl::StrCat("Evaluate of ", fields, " unknown fields (4 MiB)"), evaluator, port,
                kEvaluate, unknown, grpc::StatusCode::INVALID_ARGUMENT,
                "request: more than 10000 fields this server does not know", kEvaluate,
                ValidEvaluate());
  const std::string at_cap = ValidEvaluate() + unknown.substr(0, 2 * 10000);
  ExpectBounded("Evaluate with 10,000 unknown fields", evaluator, port, kEvaluate, at_cap,
                grpc::StatusCode::OK, "", kEvaluate, ValidEvaluate());
  ExpectBounded("Evaluate with 10,001 unknown fields", evaluator, port, kEvaluate,
                at_cap + unknown.substr(0, 2), grpc::StatusCode::INVALID_ARGUMENT,
                "request: more than 10000 fields this server does not know", kEvaluate,
                ValidEvaluate());
}

// A singular field sent again and again (the parser would merge every copy into one): refused
// before parsing, at the 1,001st repeat.
TEST_F(HostileClientTest, SingularFieldRepeatedMillionsOfTimes) {
  int port = 0;
  ChildProcess* evaluator = Evaluator(&port);
  ASSERT_NE(evaluator, nullptr);
  // EvaluateRequest.invitation (field 1), empty, as many times as 4 MiB holds.
  const int64_t copies = (kEvaluatorMaxRequestBytes - 16) / 2;
  ExpectBounded(
      absl::StrCat("Evaluate with the invitation field sent ", copies, " times"), evaluator, port,
      kEvaluate, EmptyElements(1, copies), grpc::StatusCode::INVALID_ARGUMENT,
      "request: more than 1000 repeats of fields that hold one value", kEvaluate, ValidEvaluate());
  // Invitation.note (field 4 of the invitation) sent as many times as 4 MiB holds.
  std::string notes;
  for (int64_t i = 0; i < copies / 2; ++i)
    notes += LengthDelimited(v1::Invitation::kNoteFieldNumber, "x");
  ExpectBounded("Evaluate with the note field sent 1,000,000 times", evaluator, port, kEvaluate,
                LengthDelimited(1, notes), grpc::StatusCode::INVALID_ARGUMENT,
                "request: more than 1000 repeats of fields that hold one value", kEvaluate,
                ValidEvaluate());
}

// 1,000 TCP connections that never speak, and 1,000 idle health Watch streams: the threads stay
// bounded and valid calls are served meanwhile.
TEST_F(HostileClientTest, IdleConnectionsAndStreamsKeepThreadsBounded) {
  int port = 0;
  ChildProcess* evaluator = Evaluator(&port);
  ASSERT_NE(evaluator, nullptr);
  std::vector<int> sockets;
  for (int i = 0; i < 1000; ++i) {
    const int fd = ConnectSilently(port);
    ASSERT_GE(fd, 0);
    sockets.push_back(fd);
  }
  EXPECT_TRUE(CallRaw(port, kEvaluate, ValidEvaluate(), absl::Seconds(5)).ok());
  ExpectWithinMemoryAndThreads("1,000 silent TCP connections", evaluator);

  // Five connections: 200 streams each, under the 256 a connection may hold at once.
  std::vector<std::unique_ptr<grpc::health::v1::Health::Stub>> stubs;
  for (int i = 0; i < 5; ++i)
    stubs.push_back(grpc::health::v1::Health::NewStub(NewConnection(port)));
  grpc::CompletionQueue cq;
  struct Watch {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckResponse response;
    std::unique_ptr<grpc::ClientAsyncReader<grpc::health::v1::HealthCheckResponse>> reader;
  };
  std::vector<std::unique_ptr<Watch>> watches;
  for (int i = 0; i < 1000; ++i) {
    auto watch = std::make_unique<Watch>();
    watch->reader = stubs[i % 5]->AsyncWatch(
        &watch->context, grpc::health::v1::HealthCheckRequest(), &cq, watch.get());
    watches.push_back(std::move(watch));
  }
  // Each Watch starts, then answers its first status and stays open.
  int started = 0;
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (started < 1000 && absl::Now() < give_up) {
    void* tag = nullptr;
    bool ok = false;
    if (cq.AsyncNext(&tag, &ok, In(absl::Milliseconds(50))) == grpc::CompletionQueue::GOT_EVENT &&
        ok) {
      ++started;
    }
  }
  EXPECT_EQ(started, 1000);
  EXPECT_TRUE(CallRaw(port, kEvaluate, ValidEvaluate(), absl::Seconds(5)).ok());
  ExpectWithinMemoryAndThreads("1,000 idle health Watch streams", evaluator);
  const ProcessUsage usage = UsageOf(evaluator->pid());
  std::printf(
      "[figures] hostile 1,000 silent TCP connections and 1,000 idle health Watch streams: %d "
      "threads (%d idle), peak RSS %.1f MiB\n",
      usage.threads, idle_threads_[evaluator], usage.peak_rss_kib / 1024.0);

  for (auto& watch : watches) watch->context.TryCancel();
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
  for (int fd : sockets) close(fd);
}

// One bot sends 100,000 invitations nobody answers (every one inside every window), 64 in
// flight: each is recorded, what Redis holds (the sender's keys and its recipients' erasure
// index keys) stays under the cap's size (500 records at 800 bytes each, the budget of
// redis.RedisHistoryStoreTest.AHundredThousandUnansweredInvitationsStayUnderTheCap), and
// reading or writing that sender still costs under the bounds.
TEST_F(HostileClientTest, SenderWithAHundredThousandUnansweredInvitationsStaysBounded) {
  constexpr int kInvitations = 100000;
  constexpr int kInFlight = 64;
  int port = 0;
  ChildProcess* history = History(&port);
  ASSERT_NE(history, nullptr);
  auto stub = v1::SenderHistory::NewStub(NewConnection(port));
  grpc::CompletionQueue cq;
  struct Call {
    grpc::ClientContext context;
    v1::RecordInvitationResponse response;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<v1::RecordInvitationResponse>> reader;
  };
  const absl::Time now = absl::Now();
  const ProcessUsage before = UsageOf(history->pid());
  int sent = 0;
  int answered = 0;
  int failed = 0;
  auto send = [&] {
    auto* call = new Call;
    call->context.set_deadline(In(absl::Seconds(30)));
    v1::RecordInvitationRequest request;
    request.set_invitation_id(absl::StrCat("inv-bot-", sent));
    request.set_sender_id("m-bot");
    request.set_recipient_id(absl::StrCat("m-stranger-", sent));
    *request.mutable_sent_at() = ToTimestamp(now - absl::Milliseconds(kInvitations - sent));
    call->reader = stub->AsyncRecordInvitation(&call->context, request, &cq);
    call->reader->Finish(&call->response, &call->status, call);
    ++sent;
  };
  for (int i = 0; i < kInFlight; ++i) send();
  void* tag = nullptr;
  bool ok = false;
  while (answered < kInvitations && cq.Next(&tag, &ok)) {
    std::unique_ptr<Call> call(static_cast<Call*>(tag));
    ++answered;
    if (!call->status.ok()) ++failed;
    if (sent < kInvitations) send();
  }
  const absl::Duration took = absl::Now() - now;
  const ProcessUsage after = UsageOf(history->pid());
  EXPECT_EQ(failed, 0);

  int64_t stored_bytes = 0;
  absl::StatusOr<std::string> keys = redis_->Command({"KEYS", "*"});
  ASSERT_TRUE(keys.ok()) << keys.status();
  for (absl::string_view key : absl::StrSplit(*keys, '\n', absl::SkipEmpty())) {
    absl::StatusOr<std::string> bytes =
        redis_->Command({"MEMORY", "USAGE", std::string(key), "SAMPLES", "0"});
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    stored_bytes += std::stoll(*bytes);
  }
  EXPECT_LT(stored_bytes, 500 * 800);

  v1::GetStandingRequest standing;
  standing.set_sender_id("m-bot");
  standing.set_recipient_id("m-stranger-99999");
  ExpectBounded("GetStanding of a sender with 100,000 unanswered invitations", history, port,
                kGetStanding, standing.SerializeAsString(), grpc::StatusCode::OK, "", kGetStanding,
                ValidGetStanding());
  v1::RecordInvitationRequest one_more;
  one_more.set_invitation_id("inv-bot-one-more");
  one_more.set_sender_id("m-bot");
  one_more.set_recipient_id("m-stranger-one-more");
  *one_more.mutable_sent_at() = ToTimestamp(absl::Now());
  ExpectBounded("RecordInvitation of a sender with 100,000 unanswered invitations", history, port,
                kRecordInvitation, one_more.SerializeAsString(), grpc::StatusCode::OK, "",
                kGetStanding, ValidGetStanding());
  std::printf(
      "[figures] hostile 100,000 unanswered invitations from one sender: %.1f s, history CPU "
      "%.0f us a call, Redis holds %.1f KB, history peak RSS %.1f MiB\n",
      absl::ToDoubleSeconds(took), static_cast<double>(after.cpu_us - before.cpu_us) / kInvitations,
      stored_bytes / 1024.0, after.peak_rss_kib / 1024.0);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

}  // namespace
}  // namespace etiquette::hostile
