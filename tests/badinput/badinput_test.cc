// The bad-input corpus (corpus.h) against the real binaries: redis-server, etiquette-history
// and etiquette-evaluator on loopback. Each case is sent as raw bytes through gRPC's generic
// stub and must get its exact status code; right after it, valid calls to both services must
// still succeed and both processes must still run. Then garbage at the TCP level: random
// bytes, HTTP/1.1, a broken HTTP/2 stream and idle half-open connections on the gRPC ports.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_code_name.h"
#include "etiquette/v1/evaluator.grpc.pb.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/channel_arguments.h"
#include "gtest/gtest.h"
#include "support/child_process.h"
#include "support/redis_server.h"
#include "support/test_invitations.h"
#include "tests/badinput/corpus.h"

namespace etiquette::badinput {
namespace {

using etiquette::testing::ChildProcess;
using etiquette::testing::RedisServer;
using ::testing::HasSubstr;

constexpr absl::Duration kStartup = absl::Seconds(20);
constexpr std::chrono::seconds kCallDeadline(30);  // the largest case sends 64 MiB

// The port after `marker` in the start-up line: "(port " the services', "admin port " history's
// admin listener's.
absl::StatusOr<int> LoggedPort(ChildProcess& process, const std::string& marker = "(port ") {
  absl::StatusOr<std::string> line = process.WaitForLogLine(marker, kStartup);
  if (!line.ok()) return line.status();
  return std::stoi(line->substr(line->find(marker) + marker.size()));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string Tail(const std::string& text, size_t bytes) {
  return text.size() <= bytes ? text : text.substr(text.size() - bytes);
}

constexpr char kAdminServicePrefix[] = "/etiquette.v1.SenderHistoryAdmin/";

std::string CodeName(grpc::StatusCode code) { return GrpcCodeName(code); }

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/etiquette-badinput-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    std::ofstream(dir_ + "/admin_token") << kAdminToken << "\n";
    std::ofstream(dir_ + "/hmac_secret") << "badinput-hmac-secret-0123456789\n";

    absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = std::move(*redis);

    absl::StatusOr<std::unique_ptr<ChildProcess>> history = ChildProcess::Start(
        {ETIQUETTE_HISTORY_BINARY, "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
         "--redis=" + redis_->url(), "--admin_token_file=" + dir_ + "/admin_token",
         "--hmac_secret_file=" + dir_ + "/hmac_secret", "--redis_timeout_ms=1000",
         "--admin_listen=127.0.0.1:0"},
        dir_ + "/history.log");
    ASSERT_TRUE(history.ok()) << history.status();
    history_ = std::move(*history);
    absl::StatusOr<int> history_port = LoggedPort(*history_);
    ASSERT_TRUE(history_port.ok()) << history_port.status() << ReadFile(dir_ + "/history.log");
    history_port_ = *history_port;
    absl::StatusOr<int> admin_port = LoggedPort(*history_, "admin port ");
    ASSERT_TRUE(admin_port.ok()) << admin_port.status();
    history_admin_port_ = *admin_port;

    absl::StatusOr<std::unique_ptr<ChildProcess>> evaluator = ChildProcess::Start(
        {ETIQUETTE_EVALUATOR_BINARY, "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
         absl::StrCat("--history=127.0.0.1:", history_port_), "--history_timeout_ms=1000"},
        dir_ + "/evaluator.log");
    ASSERT_TRUE(evaluator.ok()) << evaluator.status();
    evaluator_ = std::move(*evaluator);
    absl::StatusOr<int> evaluator_port = LoggedPort(*evaluator_);
    ASSERT_TRUE(evaluator_port.ok())
        << evaluator_port.status() << ReadFile(dir_ + "/evaluator.log");
    evaluator_port_ = *evaluator_port;

    evaluator_channel_ = Channel(evaluator_port_);
    history_channel_ = Channel(history_port_);
  }

  void TearDown() override {
    if (HasFailure() && !dir_.empty()) {
      for (const char* log : {"evaluator.log", "history.log"}) {
        std::cerr << "---- last lines of " << log << " ----\n"
                  << Tail(ReadFile(dir_ + "/" + log), 4000) << "\n";
      }
    }
    evaluator_.reset();
    history_.reset();
    redis_.reset();
    if (!dir_.empty() && std::getenv("BADINPUT_KEEP") == nullptr) std::filesystem::remove_all(dir_);
    if (std::getenv("BADINPUT_KEEP") != nullptr) std::cerr << "kept " << dir_ << "\n";
  }

  // A channel with a connection of its own (no subchannel shared with other channels), so that
  // what a bad request does to its connection cannot hide or leak into another client's.
  static std::shared_ptr<grpc::Channel> Channel(int port) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials(), args);
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    return context;
  }

  // Sends `bytes` to `c.method` as they are, from a client of its own (a new connection);
  // the response bytes go to *response.
  grpc::Status SendRaw(const BadInputCase& c, const std::string& bytes, std::string* response) {
    // SenderHistoryAdmin is served on history's admin port only.
    const int port = c.server == Server::kEvaluator                    ? evaluator_port_
                     : absl::StartsWith(c.method, kAdminServicePrefix) ? history_admin_port_
                                                                       : history_port_;
    grpc::GenericStub stub(Channel(port));
    std::unique_ptr<grpc::ClientContext> context = Context();
    if (c.admin_token) context->AddMetadata("authorization", absl::StrCat("Bearer ", kAdminToken));
    for (const auto& [name, value] : c.metadata) context->AddMetadata(name, value);
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer reply;
    std::promise<grpc::Status> done;
    stub.UnaryCall(context.get(), c.method, grpc::StubOptions(), &request, &reply,
                   [&done](grpc::Status status) { done.set_value(std::move(status)); });
    grpc::Status status = done.get_future().get();
    response->clear();
    std::vector<grpc::Slice> slices;
    if (status.ok() && reply.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) {
        response->append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
    return status;
  }

  // A valid Evaluate, on `channel` (the test's own when null): OK, a decision, with history.
  void ExpectValidEvaluate(std::shared_ptr<grpc::Channel> channel = nullptr) {
    auto stub = v1::InvitationEvaluator::NewStub(channel ? channel : evaluator_channel_);
    v1::EvaluateRequest request;
    *request.mutable_invitation() = testing::GoodInvitation();
    request.mutable_invitation()->set_invitation_id(absl::StrCat("valid-", ++valid_calls_));
    request.mutable_invitation()->clear_sent_at();
    v1::EvaluateResponse response;
    grpc::Status status = stub->Evaluate(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << CodeName(status.error_code()) << ": " << status.error_message();
    EXPECT_EQ(response.verdict().decision(), v1::DECISION_SEND);
    EXPECT_FALSE(response.verdict().degraded());
  }

  // A valid GetStanding, on `channel` (the test's own when null).
  void ExpectValidGetStanding(std::shared_ptr<grpc::Channel> channel = nullptr) {
    auto stub = v1::SenderHistory::NewStub(channel ? channel : history_channel_);
    v1::GetStandingRequest request;
    request.set_sender_id("valid-sender");
    request.set_recipient_id("valid-recipient");
    v1::GetStandingResponse response;
    grpc::Status status = stub->GetStanding(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << CodeName(status.error_code()) << ": " << status.error_message();
    EXPECT_EQ(response.standing().state(), v1::STANDING_STATE_GOOD);
  }

  // Both processes run, and valid calls to both succeed: from the clients connected since the
  // start (other clients are not disturbed) and from new ones (new connections are accepted).
  void ExpectBothServeValidCalls() {
    EXPECT_TRUE(evaluator_->Running()) << "the evaluator exited";
    EXPECT_TRUE(history_->Running()) << "history exited";
    ExpectValidEvaluate();
    ExpectValidGetStanding();
    ExpectValidEvaluate(Channel(evaluator_port_));
    ExpectValidGetStanding(Channel(history_port_));
  }

  // Sends one corpus case, checks its exact code (and message, and batch slots), then that
  // both services still serve valid calls.
  void Check(const BadInputCase& c) {
    SCOPED_TRACE(c.name);
    const std::string bytes = c.body(absl::Now());
    std::string response;
    const grpc::Status status = SendRaw(c, bytes, &response);
    EXPECT_EQ(CodeName(status.error_code()), CodeName(c.expected))
        << c.name << " (" << bytes.size() << " bytes to " << c.method
        << "): message: " << status.error_message();
    if (std::getenv("BADINPUT_PRINT") != nullptr) {  // to review what the servers answer
      std::cout << "case " << c.name << ": " << CodeName(status.error_code()) << " \""
                << status.error_message().substr(0, 300) << "\"\n";
    }
    if (!c.message_contains.empty()) {
      EXPECT_THAT(status.error_message(), HasSubstr(c.message_contains)) << c.name;
    }
    if (status.ok() && c.method == kEvaluate) {
      v1::EvaluateResponse evaluated;
      ASSERT_TRUE(evaluated.ParseFromString(response)) << c.name;
      EXPECT_NE(evaluated.verdict().decision(), v1::DECISION_UNSPECIFIED) << c.name;
      EXPECT_FALSE(evaluated.verdict().has_error()) << c.name;
    }
    if (status.ok() && c.method == kEvaluateBatch) {
      v1::EvaluateBatchRequest sent;
      ASSERT_TRUE(sent.ParseFromString(bytes)) << c.name;
      v1::EvaluateBatchResponse evaluated;
      ASSERT_TRUE(evaluated.ParseFromString(response)) << c.name;
      ASSERT_EQ(evaluated.verdicts_size(), sent.invitations_size()) << c.name;
      for (int i = 0; i < evaluated.verdicts_size(); ++i) {
        const v1::Verdict& verdict = evaluated.verdicts(i);
        EXPECT_EQ(verdict.invitation_id(), sent.invitations(i).invitation_id()) << c.name;
        if (i == c.failed_slot) {
          EXPECT_EQ(verdict.error().code(), static_cast<int>(c.failed_slot_code)) << c.name;
          EXPECT_EQ(verdict.decision(), v1::DECISION_UNSPECIFIED) << c.name;
        } else {
          EXPECT_FALSE(verdict.has_error()) << c.name << " slot " << i;
          EXPECT_NE(verdict.decision(), v1::DECISION_UNSPECIFIED) << c.name << " slot " << i;
        }
      }
    }
    ExpectBothServeValidCalls();
  }

  std::string dir_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<ChildProcess> history_;
  std::unique_ptr<ChildProcess> evaluator_;
  int history_port_ = 0;
  int history_admin_port_ = 0;
  int evaluator_port_ = 0;
  std::shared_ptr<grpc::Channel> evaluator_channel_;
  std::shared_ptr<grpc::Channel> history_channel_;
  int valid_calls_ = 0;
};

// ---- The corpus: one test per case, each on a fresh stack ----

class CorpusTest : public BadInputTest, public ::testing::WithParamInterface<size_t> {};

TEST_P(CorpusTest, ExactCodeThenValidCallsSucceed) { Check(Corpus()[GetParam()]); }

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusTest, ::testing::Range<size_t>(0, Corpus().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return Corpus()[info.param].name;
                         });

TEST(CorpusShape, AtLeastFiftyUniquelyNamedCasesOnBothServices) {
  std::set<std::string> names;
  int evaluator = 0;
  int history = 0;
  for (const BadInputCase& c : Corpus()) {
    EXPECT_TRUE(names.insert(c.name).second) << "duplicate name " << c.name;
    (c.server == Server::kEvaluator ? evaluator : history) += 1;
  }
  EXPECT_GE(Corpus().size(), 50u);
  EXPECT_GE(evaluator, 20);
  EXPECT_GE(history, 20);
}

// The whole corpus back to back against one stack: nothing a bad request leaves behind (a
// broken connection, a poisoned cache, a stuck thread) affects the next one.
TEST_F(BadInputTest, WholeCorpusBackToBackOnOneStack) {
  for (const BadInputCase& c : Corpus()) Check(c);
  // Nothing the bad requests carried reached the logs: no forged line from the id with a
  // newline, no note, no name.
  for (const char* log : {"evaluator.log", "history.log"}) {
    const std::string text = ReadFile(dir_ + "/" + log);
    for (const char* secret : {"forged", "Berlin meetup", "Jordan"}) {
      EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << log;
    }
    // protobuf's own lines come through spdlog (common/protobuf_log.h), never raw on stderr.
    EXPECT_EQ(text.find("[libprotobuf"), std::string::npos) << log;
  }
  EXPECT_THAT(ReadFile(dir_ + "/evaluator.log"),
              HasSubstr("protobuf: String field 'etiquette.v1.Invitation.note' contains invalid "
                        "UTF-8"));
}

// ---- Garbage at the TCP level on the gRPC ports ----

// A connected TCP socket to 127.0.0.1:port with a 5 s receive timeout; -1 on failure.
int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return fd;
}

// Writes as much of `bytes` as the peer takes (it may close the connection part way).
void WriteSome(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

// Reads what the server answers until it closes the connection or 5 s pass.
std::string ReadUntilClosed(int fd) {
  std::string answer;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    answer.append(buffer, static_cast<size_t>(n));
  }
  return answer;
}

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (char& b : bytes) b = static_cast<char>(random() & 0xff);
  return bytes;
}

constexpr char kHttp2Preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

TEST_F(BadInputTest, TcpRandomBytesThenValidCalls) {
  for (int port : {evaluator_port_, history_port_}) {
    for (uint32_t seed : {1u, 2u, 3u}) {
      const int fd = Connect(port);
      ASSERT_GE(fd, 0);
      WriteSome(fd, RandomBytes(64 * 1024, seed));
      ReadUntilClosed(fd);
      ::close(fd);
    }
  }
  ExpectBothServeValidCalls();
}

TEST_F(BadInputTest, TcpHttp1RequestsThenValidCalls) {
  const std::vector<std::string> requests = {
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      std::string("POST /etiquette.v1.InvitationEvaluator/Evaluate HTTP/1.1\r\n"
                  "Host: 127.0.0.1\r\nContent-Type: application/grpc\r\n"
                  "Content-Length: 5\r\n\r\n") +
          std::string(5, '\0'),
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\n"
      "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n"};
  for (int port : {evaluator_port_, history_port_}) {
    for (const std::string& request : requests) {
      const int fd = Connect(port);
      ASSERT_GE(fd, 0);
      WriteSome(fd, request);
      ReadUntilClosed(fd);
      ::close(fd);
    }
  }
  ExpectBothServeValidCalls();
}

TEST_F(BadInputTest, TcpHttp2PrefaceThenGarbageThenValidCalls) {
  for (int port : {evaluator_port_, history_port_}) {
    // A valid preface followed by random frames.
    int fd = Connect(port);
    ASSERT_GE(fd, 0);
    WriteSome(fd, std::string(kHttp2Preface) + RandomBytes(16 * 1024, 7));
    ReadUntilClosed(fd);
    ::close(fd);
    // A frame header that announces 16 MiB of payload, then the connection closes.
    fd = Connect(port);
    ASSERT_GE(fd, 0);
    WriteSome(fd,
              std::string(kHttp2Preface) + std::string("\xff\xff\xff\x00\x00\x00\x00\x00\x01", 9));
    ::close(fd);
    // A preface cut in the middle, then a reset (SO_LINGER 0 closes with RST).
    fd = Connect(port);
    ASSERT_GE(fd, 0);
    WriteSome(fd, std::string(kHttp2Preface, 10));
    linger reset{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
    ::close(fd);
  }
  ExpectBothServeValidCalls();
}

TEST_F(BadInputTest, IdleHalfOpenConnectionsDoNotBlockValidCalls) {
  std::vector<int> idle;
  for (int port : {evaluator_port_, history_port_}) {
    for (int i = 0; i < 50; ++i) {
      const int fd = Connect(port);
      ASSERT_GE(fd, 0);
      if (i % 2 == 1) WriteSome(fd, std::string(kHttp2Preface, 5));  // a partial preface
      idle.push_back(fd);
    }
  }
  ExpectBothServeValidCalls();
  for (int fd : idle) ::close(fd);
  ExpectBothServeValidCalls();
}

}  // namespace
}  // namespace etiquette::badinput
