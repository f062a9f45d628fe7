#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/child_process.h"

struct redisContext;  // hiredis

namespace etiquette::testing {

// A private Redis Cluster for one test binary or test: `masters` redis-server processes
// (REDIS_SERVER_BINARY) with cluster mode on (and, if asked, replicas), each on loopback with a
// free client port and a free cluster bus port (never 6379/6380), in its own temp dir with an
// append-only file (appendfsync always, so that whatever a node acknowledged survives a SIGKILL)
// and its nodes.conf; joined with `redis-cli --cluster create ... --cluster-replicas N
// --cluster-yes` (REDIS_CLI_BINARY); ready when every node says cluster_state:ok and all agree on
// the slot map. Every wait is bounded. The destructor kills every node and removes the dirs. Not
// thread-safe: use it from the test's main thread (the nodes die with the thread that started them,
// see ChildProcess).
class RedisCluster {
 public:
  // `password`: requirepass and masterauth on every node, "" for none. `replicas`: replicas
  // per master (redis-cli --cluster-replicas; not with a single master); nodes 0..masters-1
  // are not necessarily the masters then: ask OwnerOf / IsMaster.
  static absl::StatusOr<std::unique_ptr<RedisCluster>> Start(int masters = 3,
                                                             std::string password = "",
                                                             int replicas = 0);
  ~RedisCluster();

  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;

  int size() const { return static_cast<int>(nodes_.size()); }
  int port(int node) const;
  // "redis-cluster://[:password@]127.0.0.1:P1,127.0.0.1:P2,..." (every node a seed).
  std::string url() const;
  // The node's cluster id (CLUSTER MYID), 40 hex digits.
  const std::string& id(int node) const;
  bool running(int node) const;
  const std::string& dir(int node) const;

  // One command on node `node`, on a persistent connection (reopened when the node closed
  // it). The reply as text: strings as they are, integers in decimal, arrays joined by "\n",
  // nil as "(nil)"; an error reply is INTERNAL with Redis's message. CLUSTER SLOTS is the one
  // exception: one "first last master-port" line per range, sorted.
  absl::StatusOr<std::string> Command(int node, const std::vector<std::string>& args);
  absl::StatusOr<int64_t> IntegerCommand(int node, const std::vector<std::string>& args);
  // `calls` of `command` (e.g. "evalsha") in the node's INFO commandstats; 0 if absent.
  absl::StatusOr<int64_t> CommandCalls(int node, const std::string& command);
  absl::StatusOr<int64_t> InfoInteger(int node, const std::string& section,
                                      const std::string& field);

  // The node that owns `slot`, as node `asked` sees it (CLUSTER SLOTS; -1: any running node).
  absl::StatusOr<int> OwnerOf(int slot, int asked = -1);
  // The node is a master, as it says itself (ROLE).
  absl::StatusOr<bool> IsMaster(int node);
  // FLUSHALL on every running master.
  absl::Status FlushAll();

  // Every running node says cluster_state:ok and every running node's CLUSTER SLOTS is the
  // same. Polls for at most `timeout`.
  absl::Status WaitUntilOk(absl::Duration timeout = absl::Seconds(30));

  // SIGKILL the node, then reap it: no shutdown, no final fsync beyond appendfsync always.
  absl::Status Kill(int node);
  // Starts it again on the same ports and dir: it reloads its nodes.conf and append-only file.
  // Waits until it accepts connections (not until the cluster is ok again: WaitUntilOk).
  absl::Status Restart(int node);

  // Runs redis-cli (with -a when there is a password) and waits at most `timeout`; the
  // combined output, or an error naming the exit code and the output's tail.
  absl::StatusOr<std::string> RedisCli(const std::vector<std::string>& args,
                                       absl::Duration timeout = absl::Seconds(60));

 private:
  struct Node {
    int port = 0;
    int bus_port = 0;
    std::string dir;
    std::string id;
    std::unique_ptr<ChildProcess> process;
    redisContext* connection = nullptr;
    int launches = 0;
  };

  RedisCluster(std::string password, std::string work_dir)
      : password_(std::move(password)), work_dir_(std::move(work_dir)) {}
  absl::Status Launch(Node& node);
  void Disconnect(Node& node);

  const std::string password_;
  const std::string work_dir_;
  std::vector<Node> nodes_;
  int cli_runs_ = 0;
};

}  // namespace etiquette::testing
