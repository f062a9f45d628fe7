#pragma once

// Runs Lua script calls (EVALSHA) on one Redis or a Redis Cluster, through pooled pipelined
// connections (history/redis/node.h). Scripts are loaded with SCRIPT LOAD on first use per
// node and again after NOSCRIPT (e.g. after a Redis restart), then the calls are sent again,
// once. Cluster mode: each call goes to the master of the slot of its first key
// (ClusterRouter); MOVED, ASK and TRYAGAIN are followed, all within the call's one deadline. A
// call that answered NOSCRIPT, MOVED, ASK or TRYAGAIN did not run, so nothing runs twice.
//
// Two paths. Run blocks: one pipeline per node, all written before any reply is read.
// RunAsync does not: when every call goes to one node that has the scripts (and, in cluster
// mode, a fresh slot map), one pipelined exchange answered on the connection's I/O thread;
// otherwise, or when a reply says the calls must go elsewhere or the scripts are gone, Run on
// one of a few blocking threads.
//
// Errors: UNAVAILABLE when Redis cannot answer within the deadline (connect, I/O, timeout,
// transient error replies: LOADING/BUSY/MASTERDOWN/TRYAGAIN/CLUSTERDOWN); INTERNAL for other
// error replies. Logs when Redis becomes unreachable and reachable again, once each.
// Thread-safe.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "history/redis/node.h"
#include "history/redis/redis_options.h"
#include "history/redis/reply.h"

namespace etiquette::redis {

class ClusterRouter;

struct LuaScript {
  std::string name;        // for logs
  std::string source;      // the Lua text
  std::string sha;         // its SHA-1, hex, as SCRIPT LOAD answers it
  bool read_only = false;  // changes nothing: runs on the reads lane, bounded by options.timeout
};

// One EVALSHA: the script (an index into the executor's scripts), KEYS (every key in the slot
// of the first one) and ARGV.
struct ScriptCall {
  int script = 0;
  std::vector<std::string> keys;
  std::vector<std::string> argv;
};

using RepliesDone = std::function<void(absl::StatusOr<std::vector<Reply>>)>;

class ScriptExecutor {
 public:
  // Never blocks: connections are opened, the slot map learned and scripts loaded on first use.
  // At most Node::kMaxScripts scripts.
  ScriptExecutor(RedisOptions options, std::vector<LuaScript> scripts);
  // Only once no call is in flight (asynchronous ones included).
  ~ScriptExecutor();
  ScriptExecutor(const ScriptExecutor&) = delete;
  ScriptExecutor& operator=(const ScriptExecutor&) = delete;

  const RedisOptions& options() const { return options_; }

  // Runs the calls, one reply per call, in order (each a value: an error reply is the status
  // of the whole), within `deadline`. Blocks.
  absl::StatusOr<std::vector<Reply>> Run(const std::vector<ScriptCall>& calls,
                                         absl::Time deadline) {
    return RunFollowing(calls, deadline, {});
  }
  // Run without blocking, within min(now + the bound of the calls, `deadline`): the bound is
  // options.timeout when every call is read-only, else options.write_timeout. `done` runs
  // once, on a connection's I/O thread or a blocking thread; it must not block.
  void RunAsync(std::vector<ScriptCall> calls, absl::Time deadline, RepliesDone done);

  // OK when every master (one Redis: it) answers PING within options.timeout.
  absl::Status Ping();
  // `args` on every master (one Redis: it) within options.timeout: their text replies (bulk or
  // status), in no particular order. For INFO.
  absl::StatusOr<std::vector<std::string>> TextOfMasters(const std::vector<std::string>& args);

 private:
  class BlockingThreads;
  struct NodeBatch;

  // Run; `ask`: per call, a node an ASK redirection already named (the call goes there first,
  // after ASKING).
  absl::StatusOr<std::vector<Reply>> RunFollowing(const std::vector<ScriptCall>& calls,
                                                  absl::Time deadline,
                                                  std::vector<std::optional<RedisEndpoint>> ask);
  // RunFollowing on a blocking thread.
  void RunBlocking(std::shared_ptr<std::vector<ScriptCall>> calls,
                   std::vector<std::optional<RedisEndpoint>> ask, absl::Time deadline,
                   RepliesDone done);
  // RunAsync's replies: handed to `done`, or what must be redone to RunBlocking.
  void OnAsyncReplies(Node& node, std::shared_ptr<std::vector<ScriptCall>> calls,
                      absl::Time deadline, absl::StatusOr<std::vector<Reply>> replies,
                      RepliesDone& done);
  // The first half of a node's pipeline: a connection, the scripts the node lacks, the calls
  // written out. The second half: the replies read, NOSCRIPT handled.
  absl::Status StartBatch(const std::vector<ScriptCall>& calls, NodeBatch& batch,
                          absl::Time deadline);
  absl::Status FinishBatch(const std::vector<ScriptCall>& calls, NodeBatch& batch,
                           std::vector<Reply>& replies);
  // SCRIPT LOAD of `which`, pipelined; checks Redis hashed them as we did.
  absl::Status LoadScripts(Node& node, Lease& lease, const std::vector<int>& which) const;
  // kWrites when any of calls[indexes] is not read-only.
  Lane LaneOf(const std::vector<ScriptCall>& calls, const std::vector<size_t>& indexes) const;
  // EVALSHA of calls[indexes[k]], after ASKING when asking[k] (`asking` empty: never).
  void AppendEvals(Lease& lease, const std::vector<ScriptCall>& calls,
                   const std::vector<size_t>& indexes, const std::vector<bool>& asking) const;
  // Ping without the log of reachability.
  absl::Status PingNodes(absl::Time deadline);
  // The single node, or the cluster's masters (refreshing the slot map if it must).
  absl::StatusOr<std::vector<std::shared_ptr<Node>>> Masters(absl::Time deadline);
  // `args` on each node's read connection, all sent before any reply is read.
  static std::vector<std::unique_ptr<Lease>> SendToEach(
      const std::vector<std::shared_ptr<Node>>& nodes, const std::vector<std::string>& args,
      absl::Time deadline);
  // Logs transitions between reachable and unreachable, once each; returns `status`.
  absl::Status NoteOutcome(absl::Status status);

  const RedisOptions options_;
  const std::vector<LuaScript> scripts_;
  // One Redis: its node. Cluster mode: null, and cluster_ knows the nodes.
  std::shared_ptr<Node> single_;
  std::unique_ptr<ClusterRouter> cluster_;
  // After the nodes: destroyed first, while the nodes its tasks use still exist.
  std::unique_ptr<BlockingThreads> blocking_;
  std::atomic<bool> reachable_{true};
};

}  // namespace etiquette::redis
