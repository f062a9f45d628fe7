#include "hostile/hostile_servers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/grpc.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/channel_arguments.h"

namespace etiquette::hostile {

using testing::ChildProcess;

namespace {

constexpr absl::Duration kStartup = absl::Seconds(20);

// The value of "<key>:" in /proc/PID/status (kB for sizes), or -1.
int64_t StatusField(pid_t pid, const std::string& key) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1));
  }
  return -1;
}

}  // namespace

ProcessUsage UsageOf(pid_t pid) {
  ProcessUsage usage;
  // /proc/PID/stat: utime and stime are fields 14 and 15, after the ")" that ends the name.
  const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  int64_t utime = 0;
  int64_t stime = 0;
  for (int index = 3; fields >> field; ++index) {
    if (index == 14) utime = std::stoll(field);
    if (index == 15) {
      stime = std::stoll(field);
      break;
    }
  }
  usage.cpu_us = (utime + stime) * 1000000 / sysconf(_SC_CLK_TCK);
  usage.peak_rss_kib = StatusField(pid, "VmHWM");
  usage.threads = static_cast<int>(StatusField(pid, "Threads"));
  return usage;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::chrono::system_clock::time_point In(absl::Duration d) {
  return absl::ToChronoTime(absl::Now() + d);
}

int ConnectSilently(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::shared_ptr<grpc::Channel> NewConnection(int port) {
  static int next = 0;
  grpc::ChannelArguments arguments;
  arguments.SetInt("etiquette.test.connection", ++next);
  arguments.SetMaxSendMessageSize(-1);
  arguments.SetMaxReceiveMessageSize(-1);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials(), arguments);
}

grpc::Status CallRaw(int port, const std::string& method, const std::string& request,
                     absl::Duration deadline, std::string* response) {
  grpc::GenericStub stub(NewConnection(port));
  grpc::ClientContext context;
  context.set_deadline(In(deadline));
  grpc::Slice slice(request);
  grpc::ByteBuffer request_bytes(&slice, 1);
  grpc::ByteBuffer response_bytes;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request_bytes, &response_bytes,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  grpc::Status status = done.get_future().get();
  if (response != nullptr) {
    response->clear();
    std::vector<grpc::Slice> slices;
    if (status.ok() && response_bytes.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) {
        response->append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
  }
  return status;
}

void ServersTest::SetUp() {
  // Keeps gRPC initialised for the whole test process. Otherwise each call's channel is the
  // last gRPC object, its destruction runs grpc_shutdown, and that clean-up can block until the
  // call's deadline timer (seen: 10 s after the answer), which would count as answer time.
  static const bool grpc_kept_initialised = [] {
    grpc_init();
    return true;
  }();
  (void)grpc_kept_initialised;
  char dir_template[] = "/tmp/etiquette-hostile-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  dir_ = dir_template;
}

void ServersTest::TearDown() {
  processes_.clear();
  std::filesystem::remove_all(dir_);
}

ChildProcess* ServersTest::StartEvaluator(std::vector<std::string> flags, int* port) {
  flags.insert(flags.begin(), {ETIQUETTE_EVALUATOR_BINARY, "--listen=127.0.0.1:0",
                               "--metrics_listen=127.0.0.1:0"});
  return Start("evaluator", std::move(flags), port);
}

ChildProcess* ServersTest::StartHistory(std::vector<std::string> flags, int* port) {
  if (redis_ == nullptr) {
    absl::StatusOr<std::unique_ptr<testing::RedisServer>> redis = testing::RedisServer::Start();
    EXPECT_TRUE(redis.ok()) << redis.status();
    if (!redis.ok()) return nullptr;
    redis_ = std::move(*redis);
  }
  std::ofstream(dir_ + "/hmac_secret") << "hostile-hmac-secret-0123456789\n";
  flags.insert(flags.begin(), {ETIQUETTE_HISTORY_BINARY, "--listen=127.0.0.1:0",
                               "--metrics_listen=127.0.0.1:0", "--redis=" + redis_->url(),
                               "--hmac_secret_file=" + dir_ + "/hmac_secret", "--admin_listen="});
  return Start("history", std::move(flags), port);
}

ChildProcess* ServersTest::Start(const std::string& name, std::vector<std::string> argv,
                                 int* port) {
  const std::string log = absl::StrCat(dir_, "/", name, processes_.size(), ".log");
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(std::move(argv), log);
  EXPECT_TRUE(process.ok()) << process.status();
  if (!process.ok()) return nullptr;
  absl::StatusOr<std::string> line = (*process)->WaitForLogLine("(port ", kStartup);
  EXPECT_TRUE(line.ok()) << line.status() << "\n" << ReadFile(log);
  if (!line.ok()) return nullptr;
  *port = std::stoi(line->substr(line->find("(port ") + 6));
  startup_lines_.push_back(*line);
  processes_.push_back(std::move(*process));
  return processes_.back().get();
}

}  // namespace etiquette::hostile
