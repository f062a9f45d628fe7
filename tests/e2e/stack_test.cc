// End to end: the three real processes (redis-server, etiquette-history, etiquette-evaluator)
// on loopback, driven over gRPC the way a platform would.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/proto_time.h"
#include "etiquette/v1/evaluator.grpc.pb.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "support/child_process.h"
#include "support/redis_server.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using testing::ChildProcess;
using testing::RedisServer;

constexpr char kAdminToken[] = "e2e-admin-token-0123456789abcdefgh";
constexpr absl::Duration kStartup = absl::Seconds(20);

// The port after `marker` in the start-up line: "(port N)" the services', "admin port N"
// history's admin listener's.
absl::StatusOr<int> LoggedPort(ChildProcess& process, const std::string& marker = "(port ") {
  absl::StatusOr<std::string> line = process.WaitForLogLine(marker, kStartup);
  if (!line.ok()) return line.status();
  const size_t at = line->find(marker) + marker.size();
  return std::stoi(line->substr(at));
}

// True when process `pid` holds an established TCP connection to 127.0.0.1:`port` (from
// /proc/net/tcp{,6}, where each socket has its inode, and /proc/<pid>/fd, whose links name the
// process's sockets by inode).
bool HasConnectionTo(pid_t pid, int port) {
  std::vector<std::string> inodes;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      const size_t colon = remote.rfind(':');
      if (state != "01" || colon == std::string::npos) continue;  // 01: ESTABLISHED
      if (std::stoi(remote.substr(colon + 1), nullptr, 16) == port) inodes.push_back(inode);
    }
  }
  std::error_code error;
  for (const auto& fd :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/fd"), error)) {
    const std::string target = std::filesystem::read_symlink(fd.path(), error).string();
    for (const std::string& inode : inodes) {
      if (target == "socket:[" + inode + "]") return true;
    }
  }
  return false;
}

class StackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/etiquette-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    std::ofstream(dir_ + "/admin_token") << kAdminToken << "\n";
    std::ofstream(dir_ + "/hmac_secret") << "e2e-hmac-secret-0123456789\n";

    absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);
    StartHistory();
    StartEvaluator();
  }

  void TearDown() override {
    evaluator_.reset();
    history_.reset();
    redis_.reset();
    std::filesystem::remove_all(dir_);
  }

  void StartHistory() {
    absl::StatusOr<std::unique_ptr<ChildProcess>> history = ChildProcess::Start(
        {ETIQUETTE_HISTORY_BINARY, "--listen=127.0.0.1:0", "--redis=" + redis_->url(),
         "--admin_token_file=" + dir_ + "/admin_token",
         "--hmac_secret_file=" + dir_ + "/hmac_secret", "--redis_timeout_ms=200",
         "--metrics_listen=127.0.0.1:0", "--admin_listen=127.0.0.1:0"},
        dir_ + "/history.log");
    ASSERT_TRUE(history.ok()) << history.status();
    history_ = std::move(*history);
    absl::StatusOr<int> port = LoggedPort(*history_);
    ASSERT_TRUE(port.ok()) << port.status();
    history_port_ = *port;
    auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", history_port_),
                                       grpc::InsecureChannelCredentials());
    history_stub_ = v1::SenderHistory::NewStub(channel);
    absl::StatusOr<int> admin_port = LoggedPort(*history_, "admin port ");
    ASSERT_TRUE(admin_port.ok()) << admin_port.status();
    admin_stub_ = v1::SenderHistoryAdmin::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", *admin_port), grpc::InsecureChannelCredentials()));
  }

  // `log` is a new file's name for each start: the port is read from the log's first line.
  void StartEvaluator(const std::string& extra_flag = "--history_calls_in_flight=2",
                      const std::string& log = "evaluator.log") {
    absl::StatusOr<std::unique_ptr<ChildProcess>> evaluator = ChildProcess::Start(
        {ETIQUETTE_EVALUATOR_BINARY, "--listen=127.0.0.1:0",
         absl::StrCat("--history=127.0.0.1:", history_port_), "--history_timeout_ms=500",
         "--metrics_listen=127.0.0.1:0", extra_flag},
        dir_ + "/" + log);
    ASSERT_TRUE(evaluator.ok()) << evaluator.status();
    evaluator_ = std::move(*evaluator);
    absl::StatusOr<int> port = LoggedPort(*evaluator_);
    ASSERT_TRUE(port.ok()) << port.status();
    evaluator_stub_ = v1::InvitationEvaluator::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port), grpc::InsecureChannelCredentials()));
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return context;
  }

  // Evaluates a good invitation from `sender` to `recipient`.
  v1::Verdict Evaluate(const std::string& sender, const std::string& recipient,
                       bool email_confirmed = false) {
    v1::EvaluateRequest request;
    *request.mutable_invitation() = testing::GoodInvitation();
    request.mutable_invitation()->set_invitation_id("e2e-" + sender + "-" + recipient);
    request.mutable_invitation()->mutable_sender()->set_member_id(sender);
    request.mutable_invitation()->mutable_recipient()->set_member_id(recipient);
    request.mutable_invitation()->clear_sent_at();
    request.mutable_invitation()->set_recipient_email_confirmed(email_confirmed);
    v1::EvaluateResponse response;
    grpc::Status status = evaluator_stub_->Evaluate(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.verdict();
  }

  void RecordInvitation(const std::string& sender, const std::string& invitation,
                        const std::string& recipient) {
    v1::RecordInvitationRequest request;
    request.set_sender_id(sender);
    request.set_invitation_id(invitation);
    request.set_recipient_id(recipient);
    v1::RecordInvitationResponse response;
    grpc::Status status = history_stub_->RecordInvitation(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  void Report(const std::string& sender, const std::string& invitation,
              const std::string& recipient) {
    v1::RecordResponseRequest request;
    request.set_sender_id(sender);
    request.set_invitation_id(invitation);
    request.set_recipient_id(recipient);
    request.set_response(v1::INVITATION_RESPONSE_REPORTED_UNKNOWN);
    v1::RecordResponseResponse response;
    grpc::Status status = history_stub_->RecordResponse(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  // Five recipients answer "I don't know this person" to `sender`.
  void FiveReports(const std::string& sender) {
    for (int i = 0; i < 5; ++i) {
      const std::string invitation = absl::StrCat(sender, "-inv-", i);
      const std::string recipient = absl::StrCat("reporter-", i);
      RecordInvitation(sender, invitation, recipient);
      Report(sender, invitation, recipient);
    }
  }

  grpc::Status Release(const std::string& sender, const std::string& authorization,
                       v1::ReleaseSenderResponse* response) {
    auto context = Context();
    if (!authorization.empty()) context->AddMetadata("authorization", authorization);
    v1::ReleaseSenderRequest request;
    request.set_sender_id(sender);
    request.set_reason("e2e: member acknowledged the policy");
    return admin_stub_->ReleaseSender(context.get(), request, response);
  }

  // The history server's health for `service` ("" = the process as a whole).
  grpc::health::v1::HealthCheckResponse::ServingStatus HistoryHealth(
      const std::string& service = "etiquette.v1.SenderHistory") {
    auto health = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", history_port_), grpc::InsecureChannelCredentials()));
    grpc::health::v1::HealthCheckResponse response;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    if (!health->Check(Context().get(), request, &response).ok()) {
      return grpc::health::v1::HealthCheckResponse::UNKNOWN;
    }
    return response.status();
  }

  // Polls history's SenderHistory health until it is `wanted`, for at most 10 s.
  bool WaitForHistoryHealth(grpc::health::v1::HealthCheckResponse::ServingStatus wanted) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      if (HistoryHealth() == wanted) return true;
      absl::SleepFor(absl::Milliseconds(50));  // poll interval, not synchronisation
    }
    return false;
  }

  std::string dir_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<ChildProcess> history_;
  std::unique_ptr<ChildProcess> evaluator_;
  int history_port_ = 0;
  std::unique_ptr<v1::SenderHistory::Stub> history_stub_;
  std::unique_ptr<v1::SenderHistoryAdmin::Stub> admin_stub_;
  std::unique_ptr<v1::InvitationEvaluator::Stub> evaluator_stub_;
};

// The evaluator connects to history when it starts, not on its first evaluation, so that the
// first calls after a start (a rollout) do not spend --history_timeout_ms on the connection and
// history's health check, and come back degraded (or DEFER when failing closed).
TEST_F(StackTest, EvaluatorConnectsToHistoryBeforeItsFirstEvaluation) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  bool connected = HasConnectionTo(evaluator_->pid(), history_port_);
  while (!connected && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));  // polling /proc, bounded by `deadline`
    connected = HasConnectionTo(evaluator_->pid(), history_port_);
  }
  EXPECT_TRUE(connected) << "no connection from the evaluator to history's port " << history_port_
                         << " without an evaluation";
  EXPECT_FALSE(Evaluate("m-first", "m-call").degraded());
}

TEST_F(StackTest, FiveUnknownReportsRequireEmailUntilReleased) {
  EXPECT_EQ(Evaluate("spammy", "newcomer").decision(), v1::DECISION_SEND);
  FiveReports("spammy");

  v1::Verdict jailed = Evaluate("spammy", "newcomer");
  EXPECT_EQ(jailed.decision(), v1::DECISION_REQUIRE_EMAIL);
  EXPECT_EQ(jailed.sender_standing().state(), v1::STANDING_STATE_RESTRICTED);
  EXPECT_FALSE(jailed.degraded());

  // With the e-mail address typed, the etiquette rules decide again.
  EXPECT_EQ(Evaluate("spammy", "newcomer", /*email_confirmed=*/true).decision(), v1::DECISION_SEND);

  v1::ReleaseSenderResponse released;
  EXPECT_EQ(Release("spammy", "", &released).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Release("spammy", "Bearer wrong-token", &released).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Evaluate("spammy", "newcomer").decision(), v1::DECISION_REQUIRE_EMAIL);

  grpc::Status status = Release("spammy", absl::StrCat("Bearer ", kAdminToken), &released);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(released.standing().state(), v1::STANDING_STATE_GOOD);
  EXPECT_EQ(released.standing().offense_count(), 1u);
  EXPECT_EQ(Evaluate("spammy", "newcomer").decision(), v1::DECISION_SEND);
}

TEST_F(StackTest, ReporterIsBlockedForGood) {
  FiveReports("spammy");
  v1::ReleaseSenderResponse released;
  ASSERT_TRUE(Release("spammy", absl::StrCat("Bearer ", kAdminToken), &released).ok());
  v1::Verdict verdict = Evaluate("spammy", "reporter-2");
  EXPECT_EQ(verdict.decision(), v1::DECISION_BLOCK);
  EXPECT_TRUE(verdict.sender_standing().pair().recipient_reported_sender());
}

TEST_F(StackTest, PendingInvitationIsBlocked) {
  RecordInvitation("eager", "eager-1", "busy-person");
  EXPECT_EQ(Evaluate("eager", "busy-person").decision(), v1::DECISION_BLOCK);
  EXPECT_EQ(Evaluate("eager", "someone-else").decision(), v1::DECISION_SEND);
}

// Issue 17: evaluations that arrive while the evaluator's calls to history are all open go
// together in one BatchGetStanding; each must still get its own sender's standing.
TEST_F(StackTest, CoalescedEvaluationsEachGetTheirOwnSendersStanding) {
  evaluator_.reset();
  ASSERT_NO_FATAL_FAILURE(StartEvaluator("--history_calls_in_flight=1", "evaluator-one-slot.log"));
  FiveReports("spammy");
  RecordInvitation("eager", "eager-1", "busy-person");

  struct Call {
    std::string sender, recipient;
    v1::Decision expected;
    grpc::ClientContext context;
    v1::EvaluateRequest request;
    v1::EvaluateResponse response;
    grpc::Status status;
  };
  constexpr int kRounds = 40;
  std::vector<std::unique_ptr<Call>> calls;
  for (int i = 0; i < kRounds; ++i) {
    for (auto [sender, recipient, expected] :
         {std::tuple{std::string("spammy"), std::string("newcomer"), v1::DECISION_REQUIRE_EMAIL},
          std::tuple{std::string("eager"), std::string("busy-person"), v1::DECISION_BLOCK},
          std::tuple{absl::StrCat("polite-", i), std::string("newcomer"), v1::DECISION_SEND}}) {
      auto call = std::make_unique<Call>();
      call->sender = sender;
      call->recipient = recipient;
      call->expected = expected;
      call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      *call->request.mutable_invitation() = testing::GoodInvitation();
      v1::Invitation& invitation = *call->request.mutable_invitation();
      invitation.set_invitation_id(absl::StrCat("e2e-coalesced-", calls.size()));
      invitation.mutable_sender()->set_member_id(sender);
      invitation.mutable_recipient()->set_member_id(recipient);
      invitation.clear_sent_at();
      calls.push_back(std::move(call));
    }
  }
  absl::Mutex mu;
  size_t finished = 0;
  for (const std::unique_ptr<Call>& call : calls) {
    Call* c = call.get();
    evaluator_stub_->async()->Evaluate(&c->context, &c->request, &c->response,
                                       [&mu, &finished, c](grpc::Status status) {
                                         absl::MutexLock lock(&mu);
                                         c->status = std::move(status);
                                         ++finished;
                                       });
  }
  {
    absl::MutexLock lock(&mu);
    auto all_finished = [&] { return finished == calls.size(); };
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&all_finished), absl::Seconds(20)));
  }
  for (const std::unique_ptr<Call>& call : calls) {
    ASSERT_TRUE(call->status.ok()) << call->status.error_message();
    const v1::Verdict& verdict = call->response.verdict();
    EXPECT_FALSE(verdict.degraded()) << call->sender;
    EXPECT_EQ(verdict.sender_standing().sender_id(), call->sender);
    EXPECT_EQ(verdict.decision(), call->expected) << call->sender << " -> " << call->recipient;
  }
  // They did go together: history served batches of the evaluator's calls.
  EXPECT_TRUE(history_->WaitForLogLine("BatchGetStanding", absl::Seconds(5)).ok());
}

// Issue 16: the platform records each sent invitation with its verdict's note fingerprint;
// the next invitation with the same mail-merged note sees how many went out (template-blast).
TEST_F(StackTest, TheSameNoteToManyStrangersIsATemplateBlast) {
  auto invitation = [](const std::string& first_name, const std::string& note) {
    v1::EvaluateRequest request;
    *request.mutable_invitation() = testing::GoodInvitation();
    v1::Invitation& invitation = *request.mutable_invitation();
    invitation.set_invitation_id("e2e-blast-" + first_name);
    invitation.mutable_sender()->set_member_id("blaster");
    invitation.mutable_recipient()->set_member_id("blast-" + first_name);
    invitation.mutable_recipient()->set_full_name(first_name + " Example");
    invitation.clear_sent_at();
    invitation.set_note(note);
    return request;
  };
  auto merged = [](const std::string& first_name) {
    return "Hi " + first_name +
           ", I came across your profile and was impressed by your work. I am growing my "
           "network of fintech professionals and would love to connect. Best regards";
  };
  auto evaluate = [&](const v1::EvaluateRequest& request) {
    v1::EvaluateResponse response;
    grpc::Status status = evaluator_stub_->Evaluate(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.verdict();
  };
  auto blast_finding = [](const v1::Verdict& verdict) -> const v1::Finding* {
    for (const v1::Finding& finding : verdict.findings()) {
      if (finding.rule_id() == "template-blast") return &finding;
    }
    return nullptr;
  };
  const std::string names[] = {"Anna", "Bob", "Chen", "Dara", "Emeka"};
  uint64_t first_fingerprint = 0;
  for (const std::string& name : names) {
    const v1::EvaluateRequest request = invitation(name, merged(name));
    const v1::Verdict verdict = evaluate(request);
    EXPECT_EQ(blast_finding(verdict), nullptr) << name;
    ASSERT_NE(verdict.note_fingerprint(), 0u) << name;
    if (first_fingerprint == 0) first_fingerprint = verdict.note_fingerprint();
    EXPECT_EQ(verdict.note_fingerprint(), first_fingerprint) << name << ": names are masked";
    // Sent: recorded with the verdict's fingerprint.
    v1::RecordInvitationRequest record;
    record.set_sender_id("blaster");
    record.set_invitation_id(request.invitation().invitation_id());
    record.set_recipient_id(request.invitation().recipient().member_id());
    record.set_note_fingerprint(verdict.note_fingerprint());
    v1::RecordInvitationResponse recorded;
    ASSERT_TRUE(history_stub_->RecordInvitation(Context().get(), record, &recorded).ok());
  }
  const v1::Verdict sixth = evaluate(invitation("Farid", merged("Farid")));
  EXPECT_EQ(sixth.sender_standing().near_identical_notes_last_7d(), 5u);
  const v1::Finding* finding = blast_finding(sixth);
  ASSERT_NE(finding, nullptr);
  EXPECT_EQ(finding->severity(), v1::SEVERITY_ADVICE);
  EXPECT_TRUE(finding->shadow());  // SHADOW by default: the decision is unchanged
  EXPECT_EQ(sixth.decision(), v1::DECISION_SEND);
  // A note written for its recipient is not near any of them.
  const v1::Verdict personal =
      evaluate(invitation("Gita",
                          "Hi Gita, your talk at the Lisbon Rust meetup on async cancellation "
                          "saved me a week; could I ask you about the executor you built?"));
  EXPECT_EQ(personal.sender_standing().near_identical_notes_last_7d(), 0u);
  EXPECT_EQ(blast_finding(personal), nullptr);
}

TEST_F(StackTest, RedisDownMakesHistoryUnavailableAndUnreadyUntilItIsBack) {
  using Health = grpc::health::v1::HealthCheckResponse;
  RecordInvitation("steady", "steady-1", "friend-1");
  ASSERT_EQ(HistoryHealth(), Health::SERVING);

  ASSERT_TRUE(redis_->Kill().ok());
  EXPECT_TRUE(WaitForHistoryHealth(Health::NOT_SERVING));
  // Not ready, but alive: restarting the process would not bring Redis back.
  EXPECT_EQ(HistoryHealth(""), Health::SERVING);
  v1::RecordInvitationRequest request;
  request.set_sender_id("steady");
  request.set_invitation_id("steady-2");
  request.set_recipient_id("friend-2");
  v1::RecordInvitationResponse response;
  const absl::Time start = absl::Now();
  grpc::Status status = history_stub_->RecordInvitation(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));  // --redis_timeout_ms=200, plus gRPC
  // The evaluator degrades instead of failing.
  EXPECT_TRUE(Evaluate("steady", "friend-3").degraded());

  ASSERT_TRUE(redis_->Restart().ok());
  EXPECT_TRUE(WaitForHistoryHealth(Health::SERVING));
  status = history_stub_->RecordInvitation(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // The invitation acknowledged before the crash survived it (append-only file).
  EXPECT_EQ(response.standing().invitations_last_7d(), 2u);
}

TEST_F(StackTest, HistoryStoppedGivesDegradedVerdictsNotErrors) {
  ASSERT_EQ(Evaluate("anyone", "someone").degraded(), false);
  ASSERT_TRUE(history_->Signal(SIGKILL).ok());
  ASSERT_TRUE(history_->WaitForExit(absl::Seconds(10)).ok());
  for (int i = 0; i < 3; ++i) {
    v1::Verdict verdict = Evaluate("anyone", absl::StrCat("someone-", i));
    EXPECT_TRUE(verdict.degraded());
    EXPECT_EQ(verdict.decision(), v1::DECISION_SEND);
    EXPECT_FALSE(verdict.has_sender_standing());
  }
}

// ---- What callers are told when the store fails (history/history_service.h) ----

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A store failure's message as a caller gets it: exact, and nothing of Redis in it.
void ExpectNothingOfRedis(const grpc::Status& status, int redis_port) {
  for (const std::string& leak :
       {std::string("127.0.0.1"), absl::StrCat(redis_port), std::string("ERR"),
        std::string("redis"), std::string("WRONGTYPE"), std::string("script")}) {
    EXPECT_EQ(status.error_message().find(leak), std::string::npos)
        << leak << " in \"" << status.error_message() << "\"";
  }
}

TEST_F(StackTest, RedisDownAnswersAFixedMessageAndLogsTheDetail) {
  ASSERT_TRUE(redis_->Kill().ok());
  v1::GetStandingRequest request;
  request.set_sender_id("member-while-redis-is-down");
  v1::GetStandingResponse response;
  grpc::Status status = history_stub_->GetStanding(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "history store unavailable; retry");
  ExpectNothingOfRedis(status, redis_->port());

  v1::RecordInvitationRequest write;
  write.set_sender_id("member-while-redis-is-down");
  write.set_invitation_id("down-1");
  write.set_recipient_id("member-recipient-down");
  v1::RecordInvitationResponse written;
  status = history_stub_->RecordInvitation(Context().get(), write, &written);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "history store unavailable; retry");
  ExpectNothingOfRedis(status, redis_->port());

  // The detail is in the log, without the member ids.
  EXPECT_TRUE(history_->WaitForLogLine("failed: ", absl::Seconds(5)).ok());
  const std::string log = ReadFile(dir_ + "/history.log");
  EXPECT_NE(log.find("failed: UNAVAILABLE: redis unavailable"), std::string::npos) << log;
  EXPECT_EQ(log.find("member-"), std::string::npos) << log;
}

// A Redis error reply (the sender's keys hold strings, so the scripts get WRONGTYPE): INTERNAL
// with the fixed message; the hiredis and Lua text only in the log.
TEST_F(StackTest, RedisErrorReplyAnswersAFixedMessageAndLogsTheDetail) {
  for (const char* suffix : {"h", "t", "r", "state"}) {
    ASSERT_TRUE(
        redis_->Command({"SET", absl::StrCat("etq:{member-in-broken-state}:", suffix), "x"}).ok());
  }
  v1::GetStandingRequest request;
  request.set_sender_id("member-in-broken-state");
  v1::GetStandingResponse response;
  grpc::Status status = history_stub_->GetStanding(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(status.error_message(), "history store error; retry later");
  ExpectNothingOfRedis(status, redis_->port());

  v1::RecordInvitationRequest write;
  write.set_sender_id("member-in-broken-state");
  write.set_invitation_id("broken-1");
  write.set_recipient_id("member-recipient-broken");
  v1::RecordInvitationResponse written;
  status = history_stub_->RecordInvitation(Context().get(), write, &written);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(status.error_message(), "history store error; retry later");
  ExpectNothingOfRedis(status, redis_->port());

  EXPECT_TRUE(history_->WaitForLogLine("failed: ", absl::Seconds(5)).ok());
  const std::string log = ReadFile(dir_ + "/history.log");
  EXPECT_NE(log.find("WRONGTYPE"), std::string::npos) << log;
  EXPECT_EQ(log.find("member-"), std::string::npos) << log;
}

}  // namespace
}  // namespace etiquette
