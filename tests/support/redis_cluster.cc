#include "tests/support/redis_cluster.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "tests/support/redis_server.h"

// REDIS_SERVER_BINARY and REDIS_CLI_BINARY: found by tests/CMakeLists.txt (find_program).

namespace etiquette::testing {
namespace {

constexpr absl::Duration kStartTimeout = absl::Seconds(10);
constexpr absl::Duration kStopTimeout = absl::Seconds(10);
constexpr absl::Duration kPollInterval = absl::Milliseconds(20);

struct ContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// A free loopback port that is not one a developer's Redis may use.
int PickPort(const std::set<int>& taken) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    const int port = FreeTcpPort();
    if (port <= 0) return -1;
    if (port != 6379 && port != 6380 && taken.count(port) == 0) return port;
  }
  return -1;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Tail(const std::string& text, size_t bytes = 2000) {
  return text.size() <= bytes ? text : text.substr(text.size() - bytes);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisCluster>> RedisCluster::Start(int masters, std::string password,
                                                                  int replicas) {
  if (masters < 1) return absl::InvalidArgumentError("a cluster needs at least one master");
  if (replicas < 0 || (replicas > 0 && masters < 3)) {
    return absl::InvalidArgumentError("replicas need at least 3 masters (redis-cli)");
  }
  const int nodes = masters * (1 + replicas);
  // A write to a connection a killed node closed must fail with EPIPE, not kill the test.
  ::signal(SIGPIPE, SIG_IGN);
  char dir_template[] = "/tmp/etq-cluster-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) return absl::InternalError("mkdtemp failed");
  std::unique_ptr<RedisCluster> cluster(new RedisCluster(std::move(password), dir_template));
  cluster->nodes_.resize(nodes);
  std::set<int> taken;
  for (int i = 0; i < nodes; ++i) {
    Node& node = cluster->nodes_[i];
    node.dir = absl::StrCat(cluster->work_dir_, "/node-", i);
    std::error_code error;
    std::filesystem::create_directories(node.dir, error);
    if (error) return absl::InternalError(absl::StrCat("mkdir ", node.dir, ": ", error.message()));
    // A port is free when picked, but another process may take it before redis binds it: a
    // few attempts with fresh ports.
    absl::Status launched = absl::UnknownError("not started");
    for (int attempt = 0; attempt < 3 && !launched.ok(); ++attempt) {
      node.port = PickPort(taken);
      taken.insert(node.port);
      node.bus_port = PickPort(taken);
      taken.insert(node.bus_port);
      if (node.port <= 0 || node.bus_port <= 0) return absl::InternalError("no free TCP port");
      launched = cluster->Launch(node);
    }
    if (!launched.ok()) return launched;
  }

  std::vector<std::string> create = {"--cluster", "create"};
  for (const Node& node : cluster->nodes_) create.push_back(absl::StrCat("127.0.0.1:", node.port));
  create.insert(create.end(), {"--cluster-replicas", absl::StrCat(replicas), "--cluster-yes"});
  if (masters == 1) {
    // redis-cli refuses a cluster of fewer than 3 masters: assign the slots by hand.
    absl::StatusOr<std::string> added =
        cluster->Command(0, {"CLUSTER", "ADDSLOTSRANGE", "0", "16383"});
    if (!added.ok()) return added.status();
  } else {
    absl::StatusOr<std::string> created = cluster->RedisCli(create);
    if (!created.ok()) return created.status();
  }
  if (absl::Status status = cluster->WaitUntilOk(); !status.ok()) return status;
  for (int i = 0; i < nodes; ++i) {
    absl::StatusOr<std::string> id = cluster->Command(i, {"CLUSTER", "MYID"});
    if (!id.ok()) return id.status();
    cluster->nodes_[i].id = *id;
  }
  return cluster;
}

RedisCluster::~RedisCluster() {
  for (Node& node : nodes_) {
    Disconnect(node);
    node.process.reset();  // SIGKILL + reap
  }
  std::error_code ignored;
  std::filesystem::remove_all(work_dir_, ignored);
}

int RedisCluster::port(int node) const { return nodes_.at(node).port; }
const std::string& RedisCluster::id(int node) const { return nodes_.at(node).id; }
bool RedisCluster::running(int node) const { return nodes_.at(node).process != nullptr; }
const std::string& RedisCluster::dir(int node) const { return nodes_.at(node).dir; }

std::string RedisCluster::url() const {
  std::vector<std::string> seeds;
  for (const Node& node : nodes_) seeds.push_back(absl::StrCat("127.0.0.1:", node.port));
  // The test passwords are plain words: no %-escaping needed.
  const std::string auth = password_.empty() ? "" : absl::StrCat(":", password_, "@");
  return absl::StrCat("redis-cluster://", auth, absl::StrJoin(seeds, ","));
}

absl::Status RedisCluster::Launch(Node& node) {
  std::vector<std::string> argv = {
      REDIS_SERVER_BINARY, "--port", absl::StrCat(node.port), "--cluster-port",
      absl::StrCat(node.bus_port), "--bind", "127.0.0.1", "--protected-mode", "no", "--dir",
      node.dir, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
      // Failure detection in 2 s, so that a killed master's return
      // is noticed quickly.
      "--cluster-node-timeout", "2000", "--save", "", "--appendonly", "yes", "--appendfsync",
      "always", "--daemonize", "no", "--logfile", ""};
  if (!password_.empty()) {
    argv.insert(argv.end(), {"--requirepass", password_, "--masterauth", password_});
  }
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(
      std::move(argv), absl::StrCat(node.dir, "/redis-", ++node.launches, ".log"));
  if (!process.ok()) return process.status();
  Disconnect(node);
  node.process = *std::move(process);
  absl::StatusOr<std::string> ready =
      node.process->WaitForLogLine("Ready to accept connections", kStartTimeout);
  if (!ready.ok()) {
    node.process.reset();
    return ready.status();
  }
  const int index = static_cast<int>(&node - nodes_.data());
  const absl::Time deadline = absl::Now() + kStartTimeout;
  absl::Status last;
  while (absl::Now() < deadline) {
    absl::StatusOr<std::string> pong = Command(index, {"PING"});
    if (pong.ok() && *pong == "PONG") return absl::OkStatus();
    last = pong.ok() ? absl::InternalError(*pong) : pong.status();
    absl::SleepFor(kPollInterval);
  }
  node.process.reset();
  return absl::DeadlineExceededError(
      absl::StrCat("redis on port ", node.port, " does not answer PING: ", last.message()));
}

void RedisCluster::Disconnect(Node& node) {
  if (node.connection != nullptr) redisFree(node.connection);
  node.connection = nullptr;
}

absl::StatusOr<std::string> RedisCluster::Command(int index, const std::vector<std::string>& args) {
  Node& node = nodes_.at(index);
  if (node.connection != nullptr) {
    // Something to read on an idle connection: the node closed it (killed, restarted).
    pollfd fd{node.connection->fd, POLLIN, 0};
    if (node.connection->err != 0 || ::poll(&fd, 1, 0) != 0) Disconnect(node);
  }
  if (node.connection == nullptr) {
    std::unique_ptr<redisContext, ContextDeleter> context(
        redisConnectWithTimeout("127.0.0.1", node.port, timeval{2, 0}));
    if (context == nullptr) return absl::InternalError("cannot allocate a redis context");
    if (context->err != 0) {
      return absl::UnavailableError(
          absl::StrCat("connect to port ", node.port, ": ", context->errstr));
    }
    redisSetTimeout(context.get(), timeval{10, 0});
    if (!password_.empty()) {
      ReplyPtr auth(static_cast<redisReply*>(
          redisCommand(context.get(), "AUTH %b", password_.data(), password_.size())));
      if (auth == nullptr) return absl::UnavailableError(absl::StrCat("AUTH: ", context->errstr));
      if (auth->type == REDIS_REPLY_ERROR) return absl::InternalError("AUTH refused");
    }
    node.connection = context.release();
  }
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  ReplyPtr reply(static_cast<redisReply*>(redisCommandArgv(
      node.connection, static_cast<int>(argv.size()), argv.data(), lengths.data())));
  if (reply == nullptr) {
    absl::Status status = absl::UnavailableError(
        absl::StrCat(args.empty() ? "" : args[0], ": ", node.connection->errstr));
    Disconnect(node);
    return status;
  }
  if (args.size() >= 2 && absl::EqualsIgnoreCase(args[0], "CLUSTER") &&
      absl::EqualsIgnoreCase(args[1], "SLOTS") && reply->type == REDIS_REPLY_ARRAY) {
    // CLUSTER SLOTS nests arrays: "first last master-port" per entry, one per line.
    std::vector<std::string> entries;
    for (size_t i = 0; i < reply->elements; ++i) {
      const redisReply* entry = reply->element[i];
      if (entry->type != REDIS_REPLY_ARRAY || entry->elements < 3 ||
          entry->element[2]->type != REDIS_REPLY_ARRAY || entry->element[2]->elements < 2) {
        return absl::InternalError("unexpected CLUSTER SLOTS entry");
      }
      entries.push_back(absl::StrCat(entry->element[0]->integer, " ", entry->element[1]->integer,
                                     " ", entry->element[2]->element[1]->integer));
    }
    std::sort(entries.begin(), entries.end());
    return absl::StrJoin(entries, "\n");
  }
  std::string out;
  if (absl::Status status = AppendReplyText(reply.get(), &out); !status.ok()) return status;
  return out;
}

absl::StatusOr<int64_t> RedisCluster::IntegerCommand(int node,
                                                     const std::vector<std::string>& args) {
  absl::StatusOr<std::string> reply = Command(node, args);
  if (!reply.ok()) return reply.status();
  int64_t value = 0;
  if (!absl::SimpleAtoi(*reply, &value)) {
    return absl::InternalError(absl::StrCat("not an integer: ", *reply));
  }
  return value;
}

absl::StatusOr<int64_t> RedisCluster::CommandCalls(int node, const std::string& command) {
  absl::StatusOr<std::string> info = Command(node, {"INFO", "commandstats"});
  if (!info.ok()) return info.status();
  const std::string prefix = absl::StrCat("cmdstat_", command, ":calls=");
  for (absl::string_view line : absl::StrSplit(*info, absl::ByAnyChar("\r\n"))) {
    if (!absl::StartsWith(line, prefix)) continue;
    line.remove_prefix(prefix.size());
    int64_t calls = 0;
    if (!absl::SimpleAtoi(line.substr(0, line.find(',')), &calls)) {
      return absl::InternalError(absl::StrCat("bad commandstats line for ", command));
    }
    return calls;
  }
  return 0;
}

absl::StatusOr<int64_t> RedisCluster::InfoInteger(int node, const std::string& section,
                                                  const std::string& field) {
  absl::StatusOr<std::string> info = Command(node, {"INFO", section});
  if (!info.ok()) return info.status();
  const std::string prefix = absl::StrCat(field, ":");
  for (absl::string_view line : absl::StrSplit(*info, absl::ByAnyChar("\r\n"))) {
    if (!absl::StartsWith(line, prefix)) continue;
    int64_t value = 0;
    if (!absl::SimpleAtoi(line.substr(prefix.size()), &value)) {
      return absl::InternalError(absl::StrCat("INFO ", field, " is not an integer"));
    }
    return value;
  }
  return absl::NotFoundError(absl::StrCat("no ", field, " in INFO ", section));
}

absl::StatusOr<int> RedisCluster::OwnerOf(int slot, int asked) {
  if (asked < 0) {
    for (int i = 0; i < size(); ++i) {
      if (running(i)) {
        asked = i;
        break;
      }
    }
    if (asked < 0) return absl::FailedPreconditionError("no node is running");
  }
  absl::StatusOr<std::string> slots = Command(asked, {"CLUSTER", "SLOTS"});
  if (!slots.ok()) return slots.status();
  for (absl::string_view line : absl::StrSplit(*slots, '\n', absl::SkipEmpty())) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    int first = 0, last = 0, port = 0;
    if (fields.size() != 3 || !absl::SimpleAtoi(fields[0], &first) ||
        !absl::SimpleAtoi(fields[1], &last) || !absl::SimpleAtoi(fields[2], &port)) {
      return absl::InternalError(absl::StrCat("bad CLUSTER SLOTS line: ", line));
    }
    if (slot < first || slot > last) continue;
    for (int i = 0; i < size(); ++i) {
      if (nodes_[i].port == port) return i;
    }
    return absl::InternalError(absl::StrCat("slot ", slot, " is on unknown port ", port));
  }
  return absl::NotFoundError(absl::StrCat("slot ", slot, " has no owner"));
}

absl::StatusOr<bool> RedisCluster::IsMaster(int node) {
  absl::StatusOr<std::string> role = Command(node, {"ROLE"});
  if (!role.ok()) return role.status();
  return absl::StartsWith(*role, "master\n") || *role == "master";
}

absl::Status RedisCluster::FlushAll() {
  for (int i = 0; i < size(); ++i) {
    if (!running(i)) continue;
    absl::StatusOr<bool> master = IsMaster(i);
    if (!master.ok()) return master.status();
    if (!*master) continue;  // replicas follow their master (and refuse FLUSHALL)
    absl::StatusOr<std::string> reply = Command(i, {"FLUSHALL"});
    if (!reply.ok()) return reply.status();
  }
  return absl::OkStatus();
}

absl::Status RedisCluster::WaitUntilOk(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last = "never asked";
  for (;;) {
    bool ok = true;
    std::string first_view;
    for (int i = 0; i < size() && ok; ++i) {
      if (!running(i)) continue;
      absl::StatusOr<std::string> info = Command(i, {"CLUSTER", "INFO"});
      if (!info.ok() || !absl::StrContains(*info, "cluster_state:ok")) {
        last = absl::StrCat("node ", i, ": ",
                            info.ok() ? "cluster_state not ok" : info.status().ToString());
        ok = false;
        break;
      }
      absl::StatusOr<std::string> view = Command(i, {"CLUSTER", "SLOTS"});
      if (!view.ok()) {
        last = absl::StrCat("node ", i, ": ", view.status().ToString());
        ok = false;
      } else if (first_view.empty()) {
        first_view = *view;
      } else if (*view != first_view) {
        last = absl::StrCat("node ", i, " sees another slot map");
        ok = false;
      }
    }
    if (ok) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "the cluster is not ok after ", absl::FormatDuration(timeout), " (", last, ")"));
    }
    absl::SleepFor(kPollInterval);
  }
}

absl::Status RedisCluster::Kill(int index) {
  Node& node = nodes_.at(index);
  if (node.process == nullptr) return absl::FailedPreconditionError("the node is not running");
  if (absl::Status status = node.process->Signal(SIGKILL); !status.ok()) return status;
  absl::StatusOr<int> code = node.process->WaitForExit(kStopTimeout);
  if (!code.ok()) return code.status();
  node.process.reset();
  Disconnect(node);
  return absl::OkStatus();
}

absl::Status RedisCluster::Restart(int index) {
  Node& node = nodes_.at(index);
  if (node.process != nullptr) {
    if (absl::Status status = Kill(index); !status.ok()) return status;
  }
  return Launch(node);
}

absl::StatusOr<std::string> RedisCluster::RedisCli(const std::vector<std::string>& args,
                                                   absl::Duration timeout) {
  std::vector<std::string> argv = {REDIS_CLI_BINARY};
  if (!password_.empty()) argv.insert(argv.end(), {"-a", password_, "--no-auth-warning"});
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string log = absl::StrCat(work_dir_, "/redis-cli-", ++cli_runs_, ".log");
  const std::string command =
      absl::StrJoin(args.begin(), args.begin() + std::min<size_t>(args.size(), 3), " ");
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(argv, log);
  if (!process.ok()) return process.status();
  absl::StatusOr<int> code = (*process)->WaitForExit(timeout);
  const std::string output = ReadFile(log);
  if (!code.ok()) {
    return absl::DeadlineExceededError(absl::StrCat("redis-cli ", command, " still runs after ",
                                                    absl::FormatDuration(timeout), ":\n",
                                                    Tail(output)));
  }
  if (*code != 0) {
    return absl::InternalError(
        absl::StrCat("redis-cli ", command, " exited with ", *code, ":\n", Tail(output)));
  }
  return output;
}

}  // namespace etiquette::testing
