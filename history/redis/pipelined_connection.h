#pragma once

// Pipelined connections to one Redis server. Calls from any number of threads share a few
// connections. Each connection has one I/O thread that takes every request queued since its
// previous round, writes them back to back, then reads their replies in order: concurrent
// calls cost one write and a read or two between them (and, with appendfsync always, one
// fsync) rather than one each, and no call ever waits for a connection of its own.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "history/redis/redis_options.h"
#include "history/redis/reply.h"

struct redisContext;  // hiredis

namespace etiquette::redis {

// RESP of one command, appended to `out`.
void AppendCommand(std::string& out, const std::vector<std::string>& args);
// The same for a command given in pieces: the arguments of `head`, then those of each of
// `tails`, in order (no vector of the whole command is built).
void AppendCommand(std::string& out, std::initializer_list<absl::string_view> head,
                   std::initializer_list<const std::vector<std::string>*> tails);

// One request: commands written back to back, their replies handed back together. Completed
// once, by the connection's I/O thread; waited for by the caller, who may give up first.
class Exchange {
 public:
  using Done = std::function<void(absl::StatusOr<std::vector<Reply>>)>;

  // Waited for with Wait.
  Exchange(std::string commands, int count, absl::Time deadline)
      : commands_(std::move(commands)), count_(count), deadline_(deadline) {}
  // Not waited for: `done` gets the result, on the connection's I/O thread (it must not block).
  Exchange(std::string commands, int count, absl::Time deadline, Done done)
      : commands_(std::move(commands)),
        count_(count),
        deadline_(deadline),
        done_fn_(std::move(done)) {}

  const std::string& commands() const { return commands_; }
  int count() const { return count_; }
  absl::Time deadline() const { return deadline_; }

  void Complete(absl::StatusOr<std::vector<Reply>> result);
  // The replies, one per command, or why there are none; UNAVAILABLE at the deadline.
  absl::StatusOr<std::vector<Reply>> Wait();

 private:
  const std::string commands_;  // RESP
  const int count_;
  const absl::Time deadline_;
  const Done done_fn_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;                          // guarded by mutex_
  absl::StatusOr<std::vector<Reply>> result_;  // guarded by mutex_
};

// One pipelined connection to options.host:options.port (AUTH with options.password, SELECT
// options.db when not 0), opened on first use and again after a failure. Connecting is bounded
// by options.timeout; a round by the latest deadline of its exchanges. Exchanges whose
// deadline has passed are not sent (UNAVAILABLE). After an I/O error or timeout the connection
// is dropped (the exchanges of that round fail UNAVAILABLE) and the next round reconnects; an
// idle connection the server closed is never reused.
class Connection {
 public:
  // `wait_replicas` > 0: every round ends with one WAIT for that many replicas, and no reply of
  // the round is handed back before it answers (UNAVAILABLE for all of them when fewer
  // replicas acknowledged in time).
  Connection(const RedisOptions& options, int wait_replicas);
  ~Connection();  // completes what is queued with UNAVAILABLE
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // In a round: what is submitted now waits for that round's replies before it is sent.
  bool busy() const { return busy_.load(std::memory_order_relaxed); }

  void Submit(std::shared_ptr<Exchange> exchange);

 private:
  void Loop();
  void Round(std::vector<std::shared_ptr<Exchange>>& round);
  // Fails `exchanges[from..]` and closes the connection (its replies may be out of step).
  void Fail(std::vector<std::shared_ptr<Exchange>>& exchanges, size_t from,
            const absl::Status& status);
  // The round's WAIT: how many replicas acknowledged everything before it, or why not known.
  absl::StatusOr<long long> ReadWaitReply(absl::Time deadline);
  absl::StatusOr<redisContext*> Connect(absl::Time deadline);

  const RedisOptions options_;
  const int wait_replicas_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<Exchange>> queue_;  // guarded by mutex_
  bool stopping_ = false;                         // guarded by mutex_
  redisContext* context_ = nullptr;               // the I/O thread's
  std::atomic<bool> busy_{false};
  std::thread thread_;  // last: starts once the rest is built
};

// The commands of one call on one connection, sent as one Exchange per Flush; Next hands
// their replies back in order. Used by one thread.
class Lease {
 public:
  Lease(Connection& connection, absl::Time deadline)
      : connection_(connection), deadline_(deadline) {}
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  void Append(const std::vector<std::string>& args) {
    AppendCommand(commands_, args);
    ++count_;
  }
  void Append(std::initializer_list<absl::string_view> head,
              std::initializer_list<const std::vector<std::string>*> tails) {
    AppendCommand(commands_, head, tails);
    ++count_;
  }

  // Sends everything appended as one exchange whose result goes to `done` (not to Next).
  void Send(Exchange::Done done);
  // Sends everything appended (a failure shows in Next).
  void Flush();
  // The next reply, within the call's deadline (sends what was appended first).
  absl::StatusOr<Reply> Next();

 private:
  Connection& connection_;
  const absl::Time deadline_;
  std::string commands_;  // appended, not yet sent
  int count_ = 0;
  std::deque<std::shared_ptr<Exchange>> sent_;
  std::vector<Reply> replies_;  // of the exchange being read
  size_t next_ = 0;
  absl::Status failure_;
};

}  // namespace etiquette::redis
