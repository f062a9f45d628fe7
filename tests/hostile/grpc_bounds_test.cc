// The gRPC resource bounds of both real binaries (common/grpc_server.h ServerBounds): many idle
// reflection streams on one connection keep the thread count bounded, --reflection=false turns
// reflection off and nothing else, idle and half-open connections are closed, the request size
// flag is applied, and every bound shows in the start-up line and --help.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "etiquette/v1/evaluator.grpc.pb.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "evaluator/max_request_size.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/channel_arguments.h"
#include "gtest/gtest.h"
#include "hostile/hostile_servers.h"

namespace etiquette::hostile {
namespace {

constexpr char kReflectionMethod[] =
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
// ServerReflectionRequest{list_services: ""}: field 7, length 0.
const std::string kListServices("\x3a\x00", 2);

using testing::ChildProcess;

int ThreadsOf(pid_t pid) { return UsageOf(pid).threads; }

grpc::Status ListRules(int port) {
  grpc::ClientContext context;
  context.set_deadline(In(absl::Seconds(5)));
  v1::ListRulesResponse response;
  return v1::InvitationEvaluator::NewStub(NewConnection(port))
      ->ListRules(&context, v1::ListRulesRequest(), &response);
}

grpc::Status HealthCheck(int port) {
  grpc::ClientContext context;
  context.set_deadline(In(absl::Seconds(5)));
  grpc::health::v1::HealthCheckResponse response;
  return grpc::health::v1::Health::NewStub(NewConnection(port))
      ->Check(&context, grpc::health::v1::HealthCheckRequest(), &response);
}

// One reflection call (list services): its status.
grpc::Status ReflectionListServices(int port) {
  grpc::GenericStub stub(NewConnection(port));
  grpc::CompletionQueue cq;
  grpc::ClientContext context;
  context.set_deadline(In(absl::Seconds(5)));
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, kReflectionMethod, &cq);
  grpc::Slice slice(kListServices);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status status;
  void* tag = nullptr;
  bool ok = false;
  // One operation at a time: Read and Finish may not both wait for the initial metadata.
  call->StartCall(nullptr);
  cq.Next(&tag, &ok);
  call->WriteLast(request, grpc::WriteOptions(), nullptr);
  cq.Next(&tag, &ok);
  call->Read(&response, nullptr);
  cq.Next(&tag, &ok);
  call->Finish(&status, nullptr);
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

using GrpcBoundsTest = ServersTest;

// 1,500 reflection streams opened on one connection and left idle: reflection runs on the sync
// API, where each open call holds a thread. The ResourceQuota's thread bound refuses the calls
// past it (RESOURCE_EXHAUSTED), so the process stays under a fixed number of threads, and the
// services and health keep answering.
TEST_F(GrpcBoundsTest, IdleReflectionStreamsKeepThreadsBounded) {
  constexpr int kStreams = 1500;
  constexpr int kMaxThreads = 32;  // the default --grpc_max_threads
  int port = 0;
  ChildProcess* evaluator = StartEvaluator({}, &port);
  ASSERT_NE(evaluator, nullptr);
  ASSERT_TRUE(ListRules(port).ok());
  const int baseline = ThreadsOf(evaluator->pid());
  ASSERT_GT(baseline, 0);
  // Reflection's threads on top of the idle process', and a margin for gRPC's own.
  const int bound = baseline + kMaxThreads + 16;

  grpc::GenericStub stub(NewConnection(port));
  grpc::CompletionQueue cq;
  struct Stream {
    grpc::ClientContext context;
    std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call;
    grpc::Status status;
  };
  std::vector<std::unique_ptr<Stream>> streams;
  for (int i = 0; i < kStreams; ++i) {
    auto stream = std::make_unique<Stream>();
    stream->call = stub.PrepareCall(&stream->context, kReflectionMethod, &cq);
    stream->call->StartCall(nullptr);  // started, then idle: no message
    stream->call->Finish(&stream->status, stream.get());
    streams.push_back(std::move(stream));
  }
  // All but those holding a thread are refused; the threads are sampled meanwhile.
  int refused = 0;
  int peak = baseline;
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (refused < kStreams - kMaxThreads && absl::Now() < give_up) {
    void* tag = nullptr;
    bool ok = false;
    if (cq.AsyncNext(&tag, &ok, In(absl::Milliseconds(20))) == grpc::CompletionQueue::GOT_EVENT &&
        tag != nullptr) {
      auto* stream = static_cast<Stream*>(tag);
      EXPECT_EQ(stream->status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
          << stream->status.error_message();
      ++refused;
    }
    peak = std::max(peak, ThreadsOf(evaluator->pid()));
  }
  peak = std::max(peak, ThreadsOf(evaluator->pid()));
  EXPECT_LE(peak, bound) << "threads: " << baseline << " idle, " << peak << " at the peak";
  EXPECT_GE(refused, kStreams - kMaxThreads);
  std::printf("[figures] %d idle reflection streams: threads %d idle, %d at the peak, %d refused\n",
              kStreams, baseline, peak, refused);

  // The services and health still answer while the streams are open.
  EXPECT_TRUE(ListRules(port).ok());
  EXPECT_TRUE(HealthCheck(port).ok());

  for (auto& stream : streams) stream->context.TryCancel();
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
  streams.clear();
  EXPECT_TRUE(ListRules(port).ok());
}

// --reflection=false: reflection is UNIMPLEMENTED, health and the services work.
TEST_F(GrpcBoundsTest, ReflectionOffLeavesHealthAndServices) {
  int on_port = 0;
  int off_port = 0;
  ASSERT_NE(StartEvaluator({}, &on_port), nullptr);
  ASSERT_NE(StartEvaluator({"--reflection=false"}, &off_port), nullptr);
  EXPECT_EQ(ReflectionListServices(on_port).error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(ReflectionListServices(off_port).error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_TRUE(HealthCheck(off_port).ok());
  EXPECT_TRUE(ListRules(off_port).ok());

  int history_port = 0;
  ASSERT_NE(StartHistory({"--reflection=false"}, &history_port), nullptr);
  EXPECT_EQ(ReflectionListServices(history_port).error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_TRUE(HealthCheck(history_port).ok());
}

// --max_request_bytes: one byte over is RESOURCE_EXHAUSTED unread, the limit itself is not
// refused for its size (here INVALID_ARGUMENT: recipient_id too long).
TEST_F(GrpcBoundsTest, MaxRequestBytesFlag) {
  constexpr int kLimit = 1000;
  int port = 0;
  ASSERT_NE(StartHistory({absl::StrCat("--max_request_bytes=", kLimit)}, &port), nullptr);
  auto stub = v1::SenderHistory::NewStub(NewConnection(port));
  for (const int size : {kLimit, kLimit + 1}) {
    v1::GetStandingRequest request;
    request.set_sender_id("hostile-sender");
    request.set_recipient_id(std::string(size - 20, 'r'));  // 20: tags, lengths, sender_id
    request.set_recipient_id(std::string(size - 20 + size - request.ByteSizeLong(), 'r'));
    ASSERT_EQ(request.ByteSizeLong(), static_cast<size_t>(size));
    grpc::ClientContext context;
    context.set_deadline(In(absl::Seconds(5)));
    v1::GetStandingResponse response;
    const grpc::Status status = stub->GetStanding(&context, request, &response);
    EXPECT_EQ(status.error_code(), size > kLimit ? grpc::StatusCode::RESOURCE_EXHAUSTED
                                                 : grpc::StatusCode::INVALID_ARGUMENT)
        << size << " bytes: " << status.error_message();
  }
}

// --handshake_timeout_ms: a TCP connection that never starts HTTP/2 is closed by the server.
TEST_F(GrpcBoundsTest, SilentConnectionClosedAfterHandshakeTimeout) {
  int port = 0;
  ASSERT_NE(StartEvaluator({"--handshake_timeout_ms=300"}, &port), nullptr);
  const int fd = ConnectSilently(port);
  ASSERT_GE(fd, 0);
  // The server may send its HTTP/2 settings first; then, closed: end of stream (or a reset).
  const absl::Time start = absl::Now();
  bool closed = false;
  while (!closed && absl::Now() - start < absl::Seconds(10)) {
    pollfd readable{fd, POLLIN, 0};
    if (poll(&readable, 1, 100) != 1) continue;
    char buffer[256];
    closed = read(fd, buffer, sizeof(buffer)) <= 0;
  }
  EXPECT_TRUE(closed) << "still open after 10 s";
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  close(fd);
}

// --max_connection_idle_ms: a connection without calls is closed (GOAWAY): the client's
// channel leaves READY.
TEST_F(GrpcBoundsTest, IdleConnectionClosed) {
  int port = 0;
  ASSERT_NE(StartEvaluator({"--max_connection_idle_ms=300"}, &port), nullptr);
  std::shared_ptr<grpc::Channel> channel = NewConnection(port);
  grpc::ClientContext context;
  context.set_deadline(In(absl::Seconds(5)));
  v1::ListRulesResponse response;
  ASSERT_TRUE(v1::InvitationEvaluator::NewStub(channel)
                  ->ListRules(&context, v1::ListRulesRequest(), &response)
                  .ok());
  ASSERT_EQ(channel->GetState(false), GRPC_CHANNEL_READY);
  EXPECT_TRUE(channel->WaitForStateChange(GRPC_CHANNEL_READY, In(absl::Seconds(10))))
      << "still READY after 10 s";
}

// Every bound is in the start-up line and in --help, with its value.
TEST_F(GrpcBoundsTest, BoundsInStartupLineAndHelp) {
  int port = 0;
  ASSERT_NE(StartEvaluator({}, &port), nullptr);
  ASSERT_NE(StartHistory({"--reflection=false"}, &port), nullptr);
  ASSERT_EQ(startup_lines_.size(), 2u);
  for (const char* expected :
       {"max_concurrent_streams 256", "grpc_memory_quota_mib 128", "grpc_max_threads 32",
        "max_connection_idle_ms 60000", "handshake_timeout_ms 5000", "min_ping_interval_ms 10000",
        "max_ping_strikes 2"}) {
    for (const std::string& line : startup_lines_) {
      EXPECT_NE(line.find(expected), std::string::npos) << expected << " not in: " << line;
    }
  }
  EXPECT_NE(startup_lines_[0].find(absl::StrCat("max_request_bytes ", kEvaluatorMaxRequestBytes)),
            std::string::npos)
      << startup_lines_[0];
  EXPECT_NE(startup_lines_[0].find("reflection on"), std::string::npos) << startup_lines_[0];
  EXPECT_NE(startup_lines_[1].find("max_request_bytes 135000"), std::string::npos)
      << startup_lines_[1];
  EXPECT_NE(startup_lines_[1].find("reflection off"), std::string::npos) << startup_lines_[1];

  for (const char* binary : {ETIQUETTE_EVALUATOR_BINARY, ETIQUETTE_HISTORY_BINARY}) {
    const std::string out = dir_ + "/help.txt";
    ASSERT_EQ(std::system(absl::StrCat(binary, " --help > ", out).c_str()), 0);
    const std::string help = ReadFile(out);
    for (const char* flag :
         {"--max_request_bytes", "--max_concurrent_streams", "--grpc_memory_quota_mib",
          "--grpc_max_threads", "--max_connection_idle_ms", "--handshake_timeout_ms",
          "--min_ping_interval_ms", "--max_ping_strikes", "--reflection"}) {
      EXPECT_NE(help.find(flag), std::string::npos) << binary << " --help lacks " << flag;
    }
  }
}

}  // namespace
}  // namespace etiquette::hostile
