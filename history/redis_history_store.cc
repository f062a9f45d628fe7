#include "history/redis_history_store.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/ids.h"
#include "common/metrics.h"
#include "history/redis_cluster.h"
#include "history/redis_scripts.h"
#include "spdlog/spdlog.h"

namespace etiquette {
namespace {

// Times travel as integer milliseconds, kept well inside the range Lua's doubles hold exactly.
constexpr int64_t kMaxMillis = int64_t{1} << 50;

int64_t ClampMillis(int64_t ms) { return std::clamp(ms, -kMaxMillis, kMaxMillis); }
int64_t Millis(absl::Time t) { return ClampMillis(absl::ToUnixMillis(t)); }
int64_t Millis(absl::Duration d) { return ClampMillis(absl::ToInt64Milliseconds(d)); }

timeval TimeoutOf(absl::Duration d) {
  d = std::max(d, absl::Milliseconds(1));
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(absl::ToInt64Seconds(d));
  tv.tv_usec = static_cast<suseconds_t>(
      absl::ToInt64Microseconds(d - absl::Seconds(absl::ToInt64Seconds(d))));
  return tv;
}

absl::Status Unavailable(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat("redis unavailable: ", what));
}

// The reason of a restriction the store starts, e.g. "5 reports in 90 days" (whole days,
// rounded down, as InMemoryHistoryStore says it).
std::string RestrictionReason(const StorePolicy& policy) {
  return absl::StrCat(policy.restrict_reports, " reports in ",
                      policy.report_window / absl::Hours(24), " days");
}

absl::string_view ReplyText(const redisReply* reply) {
  return absl::string_view(reply->str, reply->len);
}

// Error replies meaning "not now" rather than "wrong": the dataset is still loading (after a
// restart), a script is running long, a slot is being migrated (TRYAGAIN), or the cluster
// cannot serve the slot right now (CLUSTERDOWN: a master is down, or it just restarted).
bool IsTransientError(absl::string_view message) {
  return absl::StartsWith(message, "LOADING") || absl::StartsWith(message, "BUSY") ||
         absl::StartsWith(message, "MASTERDOWN") || absl::StartsWith(message, "TRYAGAIN") ||
         absl::StartsWith(message, "CLUSTERDOWN");
}

absl::Status ErrorReplyStatus(const redisReply* reply) {
  const absl::string_view message = ReplyText(reply);
  if (IsTransientError(message)) return Unavailable(message);
  return absl::InternalError(absl::StrCat("redis error: ", message));
}

absl::Status BadReply(absl::string_view what) {
  return absl::InternalError(absl::StrCat("unexpected reply from redis: ", what));
}

absl::StatusOr<int64_t> IntegerAt(const redisReply* array, size_t i) {
  const redisReply* item = array->element[i];
  if (item->type != REDIS_REPLY_INTEGER) return BadReply(absl::StrCat("item ", i, " not integer"));
  return static_cast<int64_t>(item->integer);
}

absl::StatusOr<std::string> StringAt(const redisReply* array, size_t i) {
  const redisReply* item = array->element[i];
  if (item->type != REDIS_REPLY_STRING) return BadReply(absl::StrCat("item ", i, " not string"));
  return std::string(ReplyText(item));
}

// "" -> `absent`, "inf" -> InfiniteFuture, digits -> milliseconds.
absl::StatusOr<absl::Time> TimeFrom(const std::string& text, absl::Time absent) {
  if (text.empty()) return absent;
  if (text == "inf") return absl::InfiniteFuture();
  int64_t ms = 0;
  if (!absl::SimpleAtoi(text, &ms)) return BadReply("time not an integer");
  return absl::FromUnixMillis(ms);
}

absl::StatusOr<uint32_t> CountAt(const redisReply* array, size_t i) {
  absl::StatusOr<int64_t> value = IntegerAt(array, i);
  if (!value.ok()) return value.status();
  if (*value < 0 || *value > UINT32_MAX) return BadReply("count out of range");
  return static_cast<uint32_t>(*value);
}

// The facts() table of the prelude.
absl::StatusOr<SenderFacts> ParseFacts(const redisReply* reply) {
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != redis_scripts::kFactsSize) {
    return BadReply("facts are not an array of 12");
  }
  SenderFacts facts;
  uint32_t* const counts[] = {&facts.reports_in_window,
                              &facts.spam_reports_in_window,
                              &facts.invitations_in_volume_window,
                              &facts.sent_in_acceptance_window,
                              &facts.accepted_in_acceptance_window,
                              &facts.offense_count};
  for (size_t i = 0; i < 6; ++i) {
    absl::StatusOr<uint32_t> count = CountAt(reply, i);
    if (!count.ok()) return count.status();
    *counts[i] = *count;
  }
  absl::StatusOr<std::string> start = StringAt(reply, 6);
  absl::StatusOr<std::string> end = StringAt(reply, 7);
  absl::StatusOr<std::string> reason = StringAt(reply, 8);
  absl::StatusOr<int64_t> reported = IntegerAt(reply, 9);
  absl::StatusOr<std::string> withdrawn = StringAt(reply, 10);
  absl::StatusOr<int64_t> pending = IntegerAt(reply, 11);
  for (const absl::Status& status : {start.status(), end.status(), reason.status(),
                                     reported.status(), withdrawn.status(), pending.status()}) {
    if (!status.ok()) return status;
  }
  absl::StatusOr<absl::Time> start_time = TimeFrom(*start, absl::InfinitePast());
  absl::StatusOr<absl::Time> end_time = TimeFrom(*end, absl::InfinitePast());
  absl::StatusOr<absl::Time> withdrawn_time = TimeFrom(*withdrawn, absl::InfinitePast());
  for (const absl::Status& status :
       {start_time.status(), end_time.status(), withdrawn_time.status()}) {
    if (!status.ok()) return status;
  }
  facts.restriction_start = *start_time;
  facts.restriction_end = *end_time;
  facts.reason = *std::move(reason);
  facts.recipient_reported_sender = *reported != 0;
  facts.withdrawn_at = *withdrawn_time;
  facts.pending = *pending != 0;
  return facts;
}

// hiredis sends with write(2): a write to a connection Redis has just closed raises SIGPIPE,
// whose default action kills the process. Ignore it (unless the program chose a disposition),
// so that the write fails with EPIPE and the call answers UNAVAILABLE.
void IgnoreSigpipe() {
  static const bool done = [] {
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      signal(SIGPIPE, SIG_IGN);
    }
    return true;
  }();
  (void)done;
}

absl::Status CheckSender(const std::string& sender_id) {
  std::vector<std::string> errors;
  CheckId(sender_id, kMaxMemberIdBytes, "sender_id", &errors);
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(errors.front());
}

// Cluster mode. A call follows at most this many rounds of MOVED / ASK redirections (a slot
// map that keeps changing under it): more means something is wrong, not just a reshard.
constexpr int kMaxRedirections = 8;
// TRYAGAIN (a slot being migrated, the sender's keys split or missing on both nodes): pauses
// between attempts, doubling, always within the call's timeout.
constexpr absl::Duration kTryAgainFirstPause = absl::Milliseconds(2);
constexpr absl::Duration kTryAgainMaxPause = absl::Milliseconds(20);
// A stale slot map is refreshed at most this often (one caller at a time), so that a dead
// master does not turn every call into a CLUSTER SLOTS on the others.
constexpr absl::Duration kMapRefreshInterval = absl::Milliseconds(100);
// A node that failed a connection is asked for the slot map after the others for this long.
constexpr absl::Duration kSuspectFor = absl::Seconds(1);

// Threads for the calls the pipelined path hands to the blocking one (see RunAsync).
constexpr int kBlockingThreads = 8;

// The slot of a sender: that of its keys, whose hash tag is {sender_id}.
int SenderSlot(const std::string& sender_id) {
  return RedisKeySlot(redis_scripts::SenderKeys(sender_id)[0]);
}

}  // namespace

void RedisHistoryStore::ReplyDeleter::operator()(redisReply* reply) const {
  if (reply != nullptr) freeReplyObject(reply);
}

// ---------------------------------------------------------------------------------------------
// Pipelined connections. Calls from any number of threads share a few connections per node.
// Each connection has one I/O thread that takes every request queued since its previous round,
// writes them back to back, then reads their replies in order: concurrent calls cost one write
// and a read or two between them (and, with appendfsync always, one fsync) rather than one
// each, and no call ever waits for a connection of its own.

// RESP of one command, appended to `out`.
void AppendCommand(std::string& out, const std::vector<std::string>& args) {
  absl::StrAppend(&out, "*", args.size(), "\r\n");
  for (const std::string& arg : args) absl::StrAppend(&out, "$", arg.size(), "\r\n", arg, "\r\n");
}

// One request: commands written back to back, their replies handed back together. Completed
// once, by the connection's I/O thread; waited for by the caller, who may give up first.
class RedisHistoryStore::Exchange {
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

  void Complete(absl::StatusOr<std::vector<Reply>> result) {
    if (done_fn_) return done_fn_(std::move(result));
    {
      std::lock_guard<std::mutex> lock(mutex_);
      result_ = std::move(result);
      done_ = true;
    }
    cv_.notify_one();
  }

  // The replies, one per command, or why there are none; UNAVAILABLE at the deadline.
  absl::StatusOr<std::vector<Reply>> Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!cv_.wait_until(lock, absl::ToChronoTime(deadline_), [this] { return done_; })) {
      return Unavailable("no reply in time");
    }
    return std::move(result_);
  }

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

class RedisHistoryStore::Connection {
 public:
  // Connects on first use, to options.host:options.port. `wait_replicas` > 0: every round ends
  // with one WAIT for that many replicas, and no reply of the round is handed back before it
  // (see Round).
  Connection(const RedisOptions& options, int wait_replicas)
      : options_(options), wait_replicas_(wait_replicas), thread_([this] { Loop(); }) {}
  ~Connection() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
    if (context_ != nullptr) redisFree(context_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // In a round: what is submitted now waits for that round's replies before it is sent.
  bool busy() const { return busy_.load(std::memory_order_relaxed); }

  void Submit(std::shared_ptr<Exchange> exchange) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(exchange));
    }
    cv_.notify_one();
  }

 private:
  void Loop() {
    std::vector<std::shared_ptr<Exchange>> round;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) {
          for (const auto& exchange : queue_) exchange->Complete(Unavailable("store shut down"));
          return;
        }
        round.swap(queue_);
        busy_.store(true, std::memory_order_relaxed);
      }
      Round(round);
      round.clear();
      busy_.store(false, std::memory_order_relaxed);
    }
  }

  // Fails `exchanges[from..]` and closes the connection (its replies may be out of step).
  void Fail(std::vector<std::shared_ptr<Exchange>>& exchanges, size_t from,
            const absl::Status& status) {
    for (size_t k = from; k < exchanges.size(); ++k) exchanges[k]->Complete(status);
    if (context_ != nullptr) redisFree(context_);
    context_ = nullptr;
  }

  // The round's WAIT: how many replicas acknowledged everything before it, or why not known.
  absl::StatusOr<long long> ReadWaitReply(absl::Time deadline) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      if (raw != nullptr) freeReplyObject(raw);
      return Unavailable(absl::StrCat(
          absl::Now() >= deadline - absl::Milliseconds(1) ? "no reply in time to WAIT (" : "WAIT (",
          context_->err != 0 ? context_->errstr : "no reply", ")"));
    }
    Reply reply(static_cast<redisReply*>(raw));
    if (reply->type != REDIS_REPLY_INTEGER) {
      return absl::InternalError(absl::StrCat("redis: WAIT answered ", ReplyText(reply.get())));
    }
    return reply->integer;
  }

  void Round(std::vector<std::shared_ptr<Exchange>>& round) {
    const absl::Time now = absl::Now();
    // Requests whose caller has given up are not sent.
    round.erase(std::remove_if(round.begin(), round.end(),
                               [&](const std::shared_ptr<Exchange>& exchange) {
                                 if (exchange->deadline() > now) return false;
                                 exchange->Complete(Unavailable("timed out"));
                                 return true;
                               }),
                round.end());
    if (round.empty()) return;
    absl::Time deadline = absl::InfinitePast();
    for (const auto& exchange : round) deadline = std::max(deadline, exchange->deadline());

    if (context_ != nullptr && IsStale(context_)) {
      redisFree(context_);
      context_ = nullptr;
    }
    if (context_ == nullptr) {
      // Connecting is bounded by the read timeout, even for a round of writes.
      absl::StatusOr<redisContext*> connected =
          Connect(std::min(deadline, absl::Now() + options_.timeout));
      if (!connected.ok()) return Fail(round, 0, connected.status());
      context_ = *connected;
    }
    for (const auto& exchange : round) {
      redisAppendFormattedCommand(context_, exchange->commands().data(),
                                  exchange->commands().size());
    }
    if (wait_replicas_ > 0) {
      // One WAIT for the round (a group commit, like its one fsync): Redis answers it once
      // `wait_replicas_` replicas have everything the round wrote, or at its timeout with
      // fewer. It times out before the round, so that its answer still arrives: Redis checks
      // timeouts on its event loop, up to 1/hz (100 ms by default) late.
      const absl::Duration left = deadline - now;
      const int64_t wait_ms = std::max<int64_t>(
          1, absl::ToInt64Milliseconds(left - left / 10 - absl::Milliseconds(100)));
      std::string wait;
      AppendCommand(wait, {"WAIT", absl::StrCat(wait_replicas_), absl::StrCat(wait_ms)});
      redisAppendFormattedCommand(context_, wait.data(), wait.size());
    }
    for (int written = 0; written == 0;) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return Fail(round, 0, Unavailable("timed out"));
      if (redisSetTimeout(context_, TimeoutOf(left)) != REDIS_OK ||
          redisBufferWrite(context_, &written) != REDIS_OK) {
        return Fail(round, 0, Unavailable(context_->err != 0 ? context_->errstr : "write failed"));
      }
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration() || redisSetTimeout(context_, TimeoutOf(left)) != REDIS_OK) {
      return Fail(round, 0, Unavailable("timed out"));
    }
    // With a WAIT, the replies are held until it answers.
    std::vector<std::vector<Reply>> held(wait_replicas_ > 0 ? round.size() : 0);
    for (size_t k = 0; k < round.size(); ++k) {
      std::vector<Reply> replies;
      replies.reserve(round[k]->count());
      for (int j = 0; j < round[k]->count(); ++j) {
        void* raw = nullptr;
        if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
          if (raw != nullptr) freeReplyObject(raw);
          std::string error = context_->err != 0 ? context_->errstr : "no reply";
          // hiredis reports a receive timeout as EAGAIN ("Resource temporarily unavailable").
          if (absl::Now() >= deadline - absl::Milliseconds(1)) {
            error = absl::StrCat("no reply in time (", error, ")");
          }
          return Fail(round, held.empty() ? k : 0, Unavailable(error));
        }
        replies.emplace_back(static_cast<redisReply*>(raw));
      }
      if (held.empty()) {
        round[k]->Complete(std::move(replies));
      } else {
        held[k] = std::move(replies);
      }
    }
    if (held.empty()) return;
    absl::StatusOr<long long> acknowledged = ReadWaitReply(deadline);
    if (!acknowledged.ok()) return Fail(round, 0, acknowledged.status());
    if (*acknowledged < wait_replicas_) {
      // Written on the master, not yet on enough replicas: not acknowledged, so the caller
      // retries (the same invitation id counts once). The connection is still in step.
      const absl::Status status =
          Unavailable(absl::StrCat(*acknowledged, " of the ", wait_replicas_,
                                   " replicas required acknowledged the write in time"));
      for (const auto& exchange : round) exchange->Complete(status);
      return;
    }
    for (size_t k = 0; k < round.size(); ++k) round[k]->Complete(std::move(held[k]));
  }

  // An idle connection with something to read was closed by the server (restart, timeout
  // of idle clients) or is out of step: never reuse it.
  static bool IsStale(redisContext* context) {
    pollfd fd{context->fd, POLLIN, 0};
    return context->err != 0 || ::poll(&fd, 1, 0) != 0;
  }

  absl::StatusOr<redisContext*> Connect(absl::Time deadline) {
    const absl::Duration remaining = deadline - absl::Now();
    if (remaining <= absl::ZeroDuration()) return Unavailable("timed out before connecting");
    redisContext* context =
        redisConnectWithTimeout(options_.host.c_str(), options_.port, TimeoutOf(remaining));
    if (context == nullptr) return Unavailable("cannot allocate a connection");
    if (context->err != 0) {
      absl::Status status = Unavailable(
          absl::StrCat("connect to ", options_.host, ":", options_.port, ": ", context->errstr));
      redisFree(context);
      return status;
    }
    // AUTH and SELECT as one pipeline.
    std::vector<std::vector<std::string>> commands;
    if (!options_.password.empty()) commands.push_back({"AUTH", options_.password});
    if (options_.db != 0) commands.push_back({"SELECT", absl::StrCat(options_.db)});
    for (const auto& command : commands) {
      std::string formatted;
      AppendCommand(formatted, command);
      redisAppendFormattedCommand(context, formatted.data(), formatted.size());
    }
    for (const auto& command : commands) {
      const absl::Duration left = deadline - absl::Now();
      void* raw = nullptr;
      if (left <= absl::ZeroDuration() || redisSetTimeout(context, TimeoutOf(left)) != REDIS_OK ||
          redisGetReply(context, &raw) != REDIS_OK) {
        absl::Status status =
            Unavailable(absl::StrCat(command[0], ": ", context->err ? context->errstr : "timeout"));
        if (raw != nullptr) freeReplyObject(raw);
        redisFree(context);
        return status;
      }
      Reply reply(static_cast<redisReply*>(raw));
      if (reply->type == REDIS_REPLY_ERROR) {
        // Redis's message never quotes the password.
        absl::Status status =
            Unavailable(absl::StrCat(command[0], " refused: ", ReplyText(reply.get())));
        redisFree(context);
        return status;
      }
    }
    return context;
  }

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

// The commands of one call on one node, sent as one Exchange per Flush; Next hands their
// replies back in order.
class RedisHistoryStore::Lease {
 public:
  Lease(Connection& connection, absl::Time deadline)
      : connection_(connection), deadline_(deadline) {}
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  void Append(const std::vector<std::string>& args) {
    AppendCommand(commands_, args);
    ++count_;
  }

  // Sends everything appended as one exchange whose result goes to `done` (not to Next).
  void Send(Exchange::Done done) {
    connection_.Submit(
        std::make_shared<Exchange>(std::move(commands_), count_, deadline_, std::move(done)));
    commands_.clear();
    count_ = 0;
  }

  // Sends everything appended (a failure shows in Next).
  void Flush() {
    if (count_ == 0) return;
    auto exchange = std::make_shared<Exchange>(std::move(commands_), count_, deadline_);
    commands_.clear();
    count_ = 0;
    connection_.Submit(exchange);
    sent_.push_back(std::move(exchange));
  }

  // The next reply, within the call's deadline (sends what was appended first).
  absl::StatusOr<Reply> Next() {
    if (!failure_.ok()) return failure_;
    if (next_ == replies_.size()) {
      Flush();
      if (sent_.empty()) return absl::InternalError("no command to read a reply of");
      absl::StatusOr<std::vector<Reply>> replies = sent_.front()->Wait();
      sent_.pop_front();
      if (!replies.ok()) {
        failure_ = replies.status();
        return failure_;
      }
      replies_ = *std::move(replies);
      next_ = 0;
    }
    return std::move(replies_[next_++]);
  }

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

// ---------------------------------------------------------------------------------------------
// One Redis server: its pipelined connections and the scripts it has loaded.

class RedisHistoryStore::Node {
 public:
  Node(const RedisOptions& options, RedisEndpoint endpoint)
      : endpoint_(std::move(endpoint)),
        name_(EndpointName(endpoint_)),
        connection_options_(OptionsFor(options, endpoint_)) {
    for (auto& loaded : loaded_) loaded.store(false);
    for (Lane lane : {Lane::kReads, Lane::kWrites}) {
      // Only writes wait for replicas.
      const int wait_replicas = lane == Lane::kWrites ? options.wait_replicas : 0;
      for (int i = 0; i < std::max(1, options.connections); ++i) {
        lanes_[static_cast<int>(lane)].connections.push_back(
            std::make_unique<Connection>(connection_options_, wait_replicas));
      }
    }
  }

  const RedisEndpoint& endpoint() const { return endpoint_; }
  const std::string& name() const { return name_; }
  // The connection for the next call of that lane: one between rounds if there is one (the
  // call goes out at once), else each in turn.
  Connection& connection(Lane lane_of_call) {
    LaneConnections& lane = lanes_[static_cast<int>(lane_of_call)];
    const uint32_t first = lane.next.fetch_add(1, std::memory_order_relaxed);
    for (size_t k = 0; k < lane.connections.size(); ++k) {
      Connection& candidate = *lane.connections[(first + k) % lane.connections.size()];
      if (!candidate.busy()) return candidate;
    }
    return *lane.connections[first % lane.connections.size()];
  }
  std::atomic<bool>& loaded(Script script) { return loaded_[script]; }

  // A connection to it failed (cluster mode: it is asked for the slot map after the others).
  void NoteFailure() { failed_at_ns_.store(absl::GetCurrentTimeNanos()); }
  bool Suspect(absl::Time now) const {
    const int64_t failed = failed_at_ns_.load();
    return failed != 0 && now - absl::FromUnixNanos(failed) < kSuspectFor;
  }

 private:
  static RedisOptions OptionsFor(RedisOptions options, const RedisEndpoint& endpoint) {
    options.host = endpoint.host;
    options.port = endpoint.port;
    if (options.cluster()) options.db = 0;  // a cluster has db 0 only
    return options;
  }

  const RedisEndpoint endpoint_;
  const std::string name_;
  const RedisOptions connection_options_;
  struct LaneConnections {
    std::vector<std::unique_ptr<Connection>> connections;
    std::atomic<uint32_t> next{0};
  };
  std::array<LaneConnections, 2> lanes_;  // by Lane
  std::array<std::atomic<bool>, kScripts> loaded_{};
  std::atomic<int64_t> failed_at_ns_{0};
};

// The calls of one Run that go to one node in one round: one pipeline on one connection.
struct RedisHistoryStore::NodeBatch {
  std::shared_ptr<Node> node;
  std::vector<size_t> indexes;  // into the calls
  std::vector<bool> asking;     // per index: ASKING first (an ASK redirection)
  std::unique_ptr<Lease> lease;
  bool written = false;  // the pipeline went out: replies are to be read
};

// ---------------------------------------------------------------------------------------------
// Redis Cluster: the nodes, and the slot map (history/redis_cluster.h) routing to them.

class RedisHistoryStore::Cluster {
 public:
  explicit Cluster(const RedisOptions& options) : options_(options) {}

  // The master serving `slot`, by the current map (learned first when there is none,
  // refreshed first when it is stale). UNAVAILABLE when no node gave a map in time, or the
  // map has no master for the slot.
  absl::StatusOr<std::shared_ptr<Node>> NodeForSlot(int slot, absl::Time deadline) {
    absl::StatusOr<std::shared_ptr<const Routing>> routing = Usable(deadline);
    if (!routing.ok()) return routing.status();
    const int index = (*routing)->map.NodeOf(slot);
    if (index < 0) {
      stale_.store(true);
      return Unavailable(absl::StrCat("no master serves slot ", slot, " in the cluster's map"));
    }
    return (*routing)->nodes[index];
  }

  // Every master of the (usable) map.
  absl::StatusOr<std::vector<std::shared_ptr<Node>>> Masters(absl::Time deadline) {
    absl::StatusOr<std::shared_ptr<const Routing>> routing = Usable(deadline);
    if (!routing.ok()) return routing.status();
    return (*routing)->nodes;
  }

  // The node at `endpoint` (an ASK target), known or new.
  std::shared_ptr<Node> NodeAt(const RedisEndpoint& endpoint) {
    std::lock_guard<std::mutex> lock(mutex_);
    return NodeAtLocked(endpoint);
  }

  // MOVED: `slot` is served by `to` from now on; the rest of the map is probably stale too
  // (a reshard moves many slots, a failover all of a master's).
  void Moved(int slot, const RedisEndpoint& to) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const std::shared_ptr<const Routing> current = std::atomic_load(&routing_);
      auto routing = std::make_shared<Routing>();
      if (current != nullptr) routing->map = current->map;
      routing->map.Assign(slot, to);
      for (const RedisEndpoint& endpoint : routing->map.nodes()) {
        routing->nodes.push_back(NodeAtLocked(endpoint));
      }
      std::atomic_store(&routing_, std::shared_ptr<const Routing>(std::move(routing)));
    }
    stale_.store(true);
  }

  // A node failed a connection or the cluster said it is down: refresh before routing again.
  void MarkStale() { stale_.store(true); }

  // The master of `slot` by a map that is not stale; null when there is none (the blocking
  // path then learns or refreshes it).
  std::shared_ptr<Node> FreshNodeForSlot(int slot) const {
    if (stale_.load()) return nullptr;
    const std::shared_ptr<const Routing> routing = std::atomic_load(&routing_);
    if (routing == nullptr) return nullptr;
    const int index = routing->map.NodeOf(slot);
    return index < 0 ? nullptr : routing->nodes[index];
  }

 private:
  struct Routing {
    SlotMap map;
    std::vector<std::shared_ptr<Node>> nodes;  // parallel to map.nodes()
  };

  std::shared_ptr<Node> NodeAtLocked(const RedisEndpoint& endpoint) {
    std::shared_ptr<Node>& node = registry_[EndpointName(endpoint)];
    if (node == nullptr) node = std::make_shared<Node>(options_, endpoint);
    return node;
  }

  // The map to route with: learned now when there is none; refreshed now when stale, by one
  // caller at a time and at most every kMapRefreshInterval (the others keep using the stale
  // one: MOVED still gets them there).
  absl::StatusOr<std::shared_ptr<const Routing>> Usable(absl::Time deadline) {
    std::shared_ptr<const Routing> routing = std::atomic_load(&routing_);
    if (routing == nullptr) {
      if (absl::Status status = Refresh(deadline); !status.ok()) return status;
      return std::atomic_load(&routing_);
    }
    if (stale_.load() &&
        absl::GetCurrentTimeNanos() - last_refresh_ns_.load() >=
            absl::ToInt64Nanoseconds(kMapRefreshInterval) &&
        !refreshing_.exchange(true)) {
      const absl::Status status = Refresh(deadline);
      refreshing_.store(false);
      if (!status.ok()) {
        spdlog::debug("redis cluster: slot map refresh failed: {}", std::string(status.message()));
      }
      routing = std::atomic_load(&routing_);
    }
    return routing;
  }

  // CLUSTER SLOTS from the first node that answers: the masters of the current map that did
  // not fail lately (starting with a different one each time), then the seeds, then the rest.
  absl::Status Refresh(absl::Time deadline) {
    last_refresh_ns_.store(absl::GetCurrentTimeNanos());
    std::vector<std::shared_ptr<Node>> candidates;
    std::vector<std::shared_ptr<Node>> suspects;
    const absl::Time now = absl::Now();
    if (const std::shared_ptr<const Routing> routing = std::atomic_load(&routing_)) {
      for (const std::shared_ptr<Node>& node : routing->nodes) {
        (node->Suspect(now) ? suspects : candidates).push_back(node);
      }
      if (!candidates.empty()) {
        std::rotate(candidates.begin(),
                    candidates.begin() + rotation_.fetch_add(1) % candidates.size(),
                    candidates.end());
      }
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const RedisEndpoint& seed : options_.cluster_seeds) {
        std::shared_ptr<Node> node = NodeAtLocked(seed);
        if (std::find(candidates.begin(), candidates.end(), node) == candidates.end() &&
            std::find(suspects.begin(), suspects.end(), node) == suspects.end()) {
          candidates.push_back(std::move(node));
        }
      }
    }
    candidates.insert(candidates.end(), suspects.begin(), suspects.end());

    absl::Status last = Unavailable("no cluster node to ask for the slot map");
    for (const std::shared_ptr<Node>& node : candidates) {
      if (absl::Now() >= deadline) {
        return Unavailable(
            absl::StrCat("timed out learning the cluster's slot map (last: ", last.message(), ")"));
      }
      // A read: bounded by the read timeout, the next node tried within `deadline`.
      absl::StatusOr<std::vector<SlotRange>> ranges =
          AskSlots(*node, std::min(deadline, absl::Now() + options_.timeout));
      if (!ranges.ok()) {
        if (absl::IsUnavailable(ranges.status())) node->NoteFailure();
        last = ranges.status();
        continue;
      }
      if (ranges->empty()) {
        last = Unavailable(absl::StrCat(node->name(), " knows no slots yet (cluster not ready)"));
        continue;
      }
      Install(*ranges);
      return absl::OkStatus();
    }
    return last;
  }

  absl::StatusOr<std::vector<SlotRange>> AskSlots(Node& node, absl::Time deadline) {
    Lease lease(node.connection(Lane::kReads), deadline);
    lease.Append({"CLUSTER", "SLOTS"});
    absl::StatusOr<Reply> reply = lease.Next();
    if (!reply.ok()) return reply.status();
    if ((*reply)->type == REDIS_REPLY_ERROR) {
      // E.g. "ERR This instance has cluster support disabled": INTERNAL, a configuration error.
      return ErrorReplyStatus(reply->get());
    }
    return ParseClusterSlots(reply->get(), node.endpoint().host);
  }

  void Install(const std::vector<SlotRange>& ranges) {
    auto routing = std::make_shared<Routing>();
    routing->map = SlotMap::FromRanges(ranges);
    std::lock_guard<std::mutex> lock(mutex_);
    for (const RedisEndpoint& endpoint : routing->map.nodes()) {
      routing->nodes.push_back(NodeAtLocked(endpoint));
    }
    // Retire the nodes that are neither masters nor seeds any more. They live on with the
    // cluster (calls in flight use them, and a node must never be destroyed by the last
    // reference held on its own I/O thread), but no call is routed to them any more.
    for (auto it = registry_.begin(); it != registry_.end();) {
      const bool master = std::find(routing->nodes.begin(), routing->nodes.end(), it->second) !=
                          routing->nodes.end();
      const bool seed = std::any_of(
          options_.cluster_seeds.begin(), options_.cluster_seeds.end(),
          [&](const RedisEndpoint& endpoint) { return EndpointName(endpoint) == it->first; });
      if (master || seed) {
        ++it;
      } else {
        retired_.push_back(std::move(it->second));
        it = registry_.erase(it);
      }
    }
    if (const std::shared_ptr<const Routing> old = std::atomic_load(&routing_);
        old == nullptr || old->map.nodes().size() != routing->map.nodes().size()) {
      spdlog::info("redis cluster: {} slots on {} masters", routing->map.assigned_slots(),
                   routing->nodes.size());
    }
    std::atomic_store(&routing_, std::shared_ptr<const Routing>(std::move(routing)));
    stale_.store(false);
  }

  const RedisOptions options_;
  std::mutex mutex_;  // guards registry_ and the replacement of routing_
  std::map<std::string, std::shared_ptr<Node>> registry_;
  std::vector<std::shared_ptr<Node>> retired_;  // guarded by mutex_; see Install
  std::shared_ptr<const Routing> routing_;      // std::atomic_load / std::atomic_store only
  std::atomic<bool> stale_{false};
  std::atomic<bool> refreshing_{false};
  std::atomic<int64_t> last_refresh_ns_{0};
  std::atomic<uint32_t> rotation_{0};
};

// ---------------------------------------------------------------------------------------------

void HistoryMetricsRedisObserver::OnRedisCall(const char* operation, absl::Duration elapsed,
                                              const absl::Status& status) {
  metrics_.RecordRedisCall(operation, elapsed, status);
}

void HistoryMetricsRedisObserver::OnRestrictionStarted() { metrics_.RecordRestrictionStarted(); }

RedisHistoryStore::RedisHistoryStore(RedisOptions options, StorePolicy policy,
                                     RedisStoreObserver* observer)
    : options_(std::move(options)),
      policy_(std::make_shared<const PolicyState>(PolicyState{policy, RestrictionReason(policy)})),
      observer_(observer) {
  if (options_.cluster()) {
    cluster_ = std::make_unique<Cluster>(options_);
  } else {
    single_ = std::make_shared<Node>(options_, RedisEndpoint{options_.host, options_.port});
  }
  blocking_ = std::make_unique<BlockingThreads>(kBlockingThreads);
  IgnoreSigpipe();
  redis_scripts::Scripts();  // hash the scripts now rather than inside the first call's deadline
}

RedisHistoryStore::~RedisHistoryStore() = default;

std::vector<std::string> RedisHistoryStore::SenderKeys(const std::string& sender_id) {
  return redis_scripts::SenderKeys(sender_id);
}

void RedisHistoryStore::SetPolicy(const StorePolicy& policy) {
  std::atomic_store(&policy_, std::make_shared<const PolicyState>(
                                  PolicyState{policy, RestrictionReason(policy)}));
}

std::vector<std::string> RedisHistoryStore::CommonArgv(const StorePolicy& policy, absl::Time now,
                                                       const std::string& recipient_key) const {
  const absl::Duration longest = std::max({policy.report_window, policy.volume_window,
                                           policy.acceptance_window, policy.reinvite_cooldown});
  const absl::Duration rep_retention = std::max(policy.retention, policy.reported_pair_retention);
  return {absl::StrCat(Millis(now)),
          absl::StrCat(Millis(policy.report_window)),
          absl::StrCat(Millis(policy.volume_window)),
          absl::StrCat(Millis(policy.acceptance_window)),
          absl::StrCat(Millis(policy.reinvite_cooldown)),
          recipient_key,
          absl::StrCat(Millis(longest)),
          absl::StrCat(std::max<int64_t>(1, Millis(policy.retention))),
          absl::StrCat(std::max<int64_t>(1, Millis(rep_retention)))};
}

void RedisHistoryStore::Observe(const char* operation, absl::Time start,
                                const absl::Status& status) const {
  if (observer_ != nullptr) observer_->OnRedisCall(operation, absl::Now() - start, status);
}

absl::Status RedisHistoryStore::NoteOutcome(absl::Status status) {
  const char* what = options_.cluster() ? "redis cluster (seed " : "redis ";
  const char* end = options_.cluster() ? ")" : "";
  if (absl::IsUnavailable(status)) {
    if (reachable_.exchange(false)) {
      spdlog::warn("{}{}:{}{} unreachable: {}", what, options_.host, options_.port, end,
                   std::string(status.message()));
    }
  } else if (!reachable_.exchange(true)) {
    spdlog::info("{}{}:{}{} reachable again", what, options_.host, options_.port, end);
  }
  return status;
}

absl::StatusOr<std::vector<RedisHistoryStore::Reply>> RedisHistoryStore::Run(
    const std::vector<ScriptCall>& calls, absl::Time deadline,
    std::vector<std::optional<RedisEndpoint>> ask) {
  std::vector<Reply> replies(calls.size());
  std::vector<size_t> pending(calls.size());
  std::iota(pending.begin(), pending.end(), size_t{0});
  // Cluster mode: the node an ASK sent a call to, for its next attempt only.
  ask.resize(calls.size());
  int redirections = 0;
  absl::Duration pause = kTryAgainFirstPause;
  for (;;) {
    // Group the pending calls by node: one pipeline each.
    std::vector<NodeBatch> batches;
    for (size_t i : pending) {
      std::shared_ptr<Node> node = single_;
      bool asking = false;
      if (cluster_ != nullptr) {
        if (ask[i].has_value()) {
          node = cluster_->NodeAt(*ask[i]);
          asking = true;
        } else {
          absl::StatusOr<std::shared_ptr<Node>> routed =
              cluster_->NodeForSlot(SenderSlot(calls[i].sender_id), deadline);
          if (!routed.ok()) return NoteOutcome(routed.status());
          node = *std::move(routed);
        }
      }
      auto batch = std::find_if(batches.begin(), batches.end(),
                                [&](const NodeBatch& b) { return b.node == node; });
      if (batch == batches.end()) {
        batches.emplace_back();
        batch = std::prev(batches.end());
        batch->node = std::move(node);
      }
      batch->indexes.push_back(i);
      batch->asking.push_back(asking);
    }

    // Every pipeline is written out before any reply is read, so that the round trips to
    // different nodes overlap. Batches already written are read even when another failed,
    // so that their connections stay in step (and pooled).
    absl::Status failed;
    for (NodeBatch& batch : batches) {
      failed = StartBatch(calls, batch, deadline);
      if (!failed.ok()) break;
    }
    for (NodeBatch& batch : batches) {
      if (!batch.written) continue;
      absl::Status status = FinishBatch(calls, batch, replies);
      if (failed.ok()) failed = std::move(status);
    }
    if (!failed.ok()) {
      if (cluster_ != nullptr && absl::IsUnavailable(failed)) cluster_->MarkStale();
      return NoteOutcome(failed);
    }
    if (cluster_ == nullptr) break;

    // Redirections. A MOVED, ASK or TRYAGAIN reply means the script did not run: sending the
    // call again cannot apply it twice.
    std::vector<size_t> again;
    bool redirected = false;
    bool try_again = false;
    for (const NodeBatch& batch : batches) {
      for (size_t i : batch.indexes) {
        ask[i].reset();
        const redisReply* reply = replies[i].get();
        if (reply->type != REDIS_REPLY_ERROR) continue;
        const absl::string_view message = ReplyText(reply);
        if (std::optional<ClusterRedirect> redirect =
                ParseClusterRedirect(message, batch.node->endpoint().host)) {
          if (redirect->kind == ClusterRedirect::Kind::kMoved) {
            cluster_->Moved(redirect->slot, redirect->to);
          } else {
            ask[i] = redirect->to;
          }
          redirected = true;
          again.push_back(i);
        } else if (absl::StartsWith(message, "TRYAGAIN")) {
          try_again = true;
          again.push_back(i);
        } else if (absl::StartsWith(message, "CLUSTERDOWN")) {
          cluster_->MarkStale();
        }
      }
    }
    if (again.empty()) break;
    if (redirected && ++redirections > kMaxRedirections) {
      return NoteOutcome(Unavailable(absl::StrCat(
          "more than ", kMaxRedirections,
          " cluster redirections (last: ", ReplyText(replies[again.front()].get()), ")")));
    }
    if (try_again) {
      absl::SleepFor(std::min(pause, deadline - absl::Now()));
      pause = std::min(pause * 2, kTryAgainMaxPause);
    }
    if (absl::Now() >= deadline) {
      return NoteOutcome(Unavailable(absl::StrCat("timed out following the cluster (last: ",
                                                  ReplyText(replies[again.front()].get()), ")")));
    }
    pending = std::move(again);
  }

  for (const Reply& reply : replies) {
    if (reply->type == REDIS_REPLY_ERROR) return NoteOutcome(ErrorReplyStatus(reply.get()));
  }
  NoteOutcome(absl::OkStatus()).IgnoreError();
  return replies;
}

absl::Status RedisHistoryStore::LoadScripts(Node& node, Lease& lease,
                                            const std::vector<Script>& which) {
  const std::vector<redis_scripts::ScriptText>& scripts = redis_scripts::Scripts();
  for (Script script : which) lease.Append({"SCRIPT", "LOAD", scripts[script].source});
  for (Script script : which) {
    absl::StatusOr<Reply> reply = lease.Next();
    if (!reply.ok()) return reply.status();
    if ((*reply)->type == REDIS_REPLY_ERROR) return ErrorReplyStatus(reply->get());
    if ((*reply)->type != REDIS_REPLY_STRING || ReplyText(reply->get()) != scripts[script].sha) {
      return BadReply(absl::StrCat("SCRIPT LOAD of ", scripts[script].name));
    }
    spdlog::debug("redis script {} loaded on {}", scripts[script].name, node.name());
    node.loaded(script).store(true);
  }
  return absl::OkStatus();
}

void RedisHistoryStore::AppendEvals(Lease& lease, const std::vector<ScriptCall>& calls,
                                    const std::vector<size_t>& indexes,
                                    const std::vector<bool>& asking) {
  const std::vector<redis_scripts::ScriptText>& scripts = redis_scripts::Scripts();
  for (size_t k = 0; k < indexes.size(); ++k) {
    const ScriptCall& call = calls[indexes[k]];
    if (asking[k]) lease.Append({"ASKING"});
    std::vector<std::string> args = {"EVALSHA", scripts[call.script].sha,
                                     absl::StrCat(redis_scripts::kKeysPerSender)};
    for (std::string& key : SenderKeys(call.sender_id)) args.push_back(std::move(key));
    args.insert(args.end(), call.argv.begin(), call.argv.end());
    lease.Append(args);
  }
}

absl::Status RedisHistoryStore::StartBatch(const std::vector<ScriptCall>& calls, NodeBatch& batch,
                                           absl::Time deadline) {
  Node& node = *batch.node;
  batch.lease = std::make_unique<Lease>(node.connection(LaneOf(calls, batch.indexes)), deadline);
  std::vector<Script> unloaded;
  for (size_t i : batch.indexes) {
    const Script script = calls[i].script;
    if (!node.loaded(script).load() &&
        std::find(unloaded.begin(), unloaded.end(), script) == unloaded.end()) {
      unloaded.push_back(script);
    }
  }
  if (!unloaded.empty()) {
    if (absl::Status status = LoadScripts(node, *batch.lease, unloaded); !status.ok()) {
      if (absl::IsUnavailable(status)) node.NoteFailure();
      return status;
    }
  }
  AppendEvals(*batch.lease, calls, batch.indexes, batch.asking);
  batch.lease->Flush();
  batch.written = true;
  return absl::OkStatus();
}

absl::Status RedisHistoryStore::FinishBatch(const std::vector<ScriptCall>& calls, NodeBatch& batch,
                                            std::vector<Reply>& replies) {
  Node& node = *batch.node;
  Lease& lease = *batch.lease;
  // The replies of AppendEvals: ASKING's +OK (nothing to learn from it: the EVALSHA's own
  // reply says whether the node served it), then the EVALSHA's.
  auto read = [&](const std::vector<size_t>& indexes,
                  const std::vector<bool>& asking) -> absl::Status {
    for (size_t k = 0; k < indexes.size(); ++k) {
      if (asking[k]) {
        absl::StatusOr<Reply> ok = lease.Next();
        if (!ok.ok()) return ok.status();
      }
      absl::StatusOr<Reply> reply = lease.Next();
      if (!reply.ok()) return reply.status();
      replies[indexes[k]] = *std::move(reply);
    }
    return absl::OkStatus();
  };
  if (absl::Status status = read(batch.indexes, batch.asking); !status.ok()) {
    node.NoteFailure();
    return status;
  }

  // NOSCRIPT (the node's script cache was flushed, e.g. by a restart): the script did not run,
  // so loading it and running those calls again is safe. Once.
  std::vector<size_t> again;
  std::vector<bool> again_asking;
  std::vector<Script> reload;
  for (size_t k = 0; k < batch.indexes.size(); ++k) {
    const size_t i = batch.indexes[k];
    if (replies[i]->type == REDIS_REPLY_ERROR &&
        absl::StartsWith(ReplyText(replies[i].get()), "NOSCRIPT")) {
      again.push_back(i);
      again_asking.push_back(batch.asking[k]);
      node.loaded(calls[i].script).store(false);
      if (std::find(reload.begin(), reload.end(), calls[i].script) == reload.end()) {
        reload.push_back(calls[i].script);
      }
    }
  }
  if (!again.empty()) {
    spdlog::info("redis {} lost its scripts; loading them again", node.name());
    absl::Status status = LoadScripts(node, lease, reload);
    if (status.ok()) {
      AppendEvals(lease, calls, again, again_asking);
      status = read(again, again_asking);
    }
    if (!status.ok()) {
      if (absl::IsUnavailable(status)) node.NoteFailure();
      return status;
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// The calls on the serving path, asynchronous: one exchange on a pipelined connection, answered
// on its I/O thread. What that cannot finish by itself (a script not loaded on the node yet,
// NOSCRIPT, a cluster redirection, a slot map to learn or refresh) goes to Run, the blocking
// path, on one of the store's blocking threads; a script that answered NOSCRIPT, MOVED, ASK or
// TRYAGAIN did not run, so running the call again there cannot apply it twice.

class RedisHistoryStore::BlockingThreads {
 public:
  explicit BlockingThreads(int count) {
    for (int i = 0; i < count; ++i) threads_.emplace_back([this] { Loop(); });
  }
  ~BlockingThreads() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& thread : threads_) thread.join();
  }

  void Post(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

 private:
  void Loop() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;  // stopping, nothing left
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_
  std::vector<std::thread> threads_;
};

void RedisHistoryStore::RunAsync(std::vector<ScriptCall> calls, absl::Time caller_deadline,
                                 RepliesDone done) {
  std::vector<size_t> indexes(calls.size());
  std::iota(indexes.begin(), indexes.end(), size_t{0});
  const Lane lane = LaneOf(calls, indexes);
  const absl::Time deadline = std::min(absl::Now() + BoundFor(lane), caller_deadline);
  // The fast path: every call on one node whose map is fresh, every script loaded there.
  std::shared_ptr<Node> node = single_;
  for (const ScriptCall& call : calls) {
    if (cluster_ != nullptr) {
      std::shared_ptr<Node> routed = cluster_->FreshNodeForSlot(SenderSlot(call.sender_id));
      if (routed == nullptr || (node != nullptr && routed != node)) {
        node = nullptr;
        break;
      }
      node = std::move(routed);
    }
    if (!node->loaded(call.script).load()) {
      node = nullptr;
      break;
    }
  }
  auto shared_calls = std::make_shared<std::vector<ScriptCall>>(std::move(calls));
  if (node == nullptr) return RunBlocking(std::move(shared_calls), {}, deadline, std::move(done));

  Lease lease(node->connection(lane), deadline);
  AppendEvals(lease, *shared_calls, indexes, std::vector<bool>(indexes.size(), false));
  // The node outlives the exchange (the store keeps every node it ever made): the callback
  // holds a plain pointer, so that the I/O thread never drops the last reference to it.
  lease.Send([this, node = node.get(), shared_calls, deadline,
              done = std::move(done)](absl::StatusOr<std::vector<Reply>> replies) mutable {
    if (!replies.ok()) {
      node->NoteFailure();
      if (cluster_ != nullptr && absl::IsUnavailable(replies.status())) cluster_->MarkStale();
      return done(NoteOutcome(replies.status()));
    }
    // What the blocking path must redo; a redirection is applied as Run would.
    bool again = false;
    std::vector<std::optional<RedisEndpoint>> ask(replies->size());
    for (size_t i = 0; i < replies->size(); ++i) {
      const redisReply* reply = (*replies)[i].get();
      if (reply->type != REDIS_REPLY_ERROR) continue;
      const absl::string_view message = ReplyText(reply);
      if (absl::StartsWith(message, "NOSCRIPT")) {
        node->loaded((*shared_calls)[i].script).store(false);
        again = true;
      } else if (cluster_ != nullptr && absl::StartsWith(message, "TRYAGAIN")) {
        again = true;
      } else if (cluster_ != nullptr) {
        if (std::optional<ClusterRedirect> redirect =
                ParseClusterRedirect(message, node->endpoint().host)) {
          if (redirect->kind == ClusterRedirect::Kind::kMoved) {
            cluster_->Moved(redirect->slot, redirect->to);
          } else {
            ask[i] = redirect->to;
          }
          again = true;
        }
      }
    }
    if (again) {
      return RunBlocking(std::move(shared_calls), std::move(ask), deadline, std::move(done));
    }
    for (const Reply& reply : *replies) {
      if (reply->type == REDIS_REPLY_ERROR) {
        if (cluster_ != nullptr && absl::StartsWith(ReplyText(reply.get()), "CLUSTERDOWN")) {
          cluster_->MarkStale();
        }
        return done(NoteOutcome(ErrorReplyStatus(reply.get())));
      }
    }
    NoteOutcome(absl::OkStatus()).IgnoreError();
    done(std::move(replies));
  });
}

RedisHistoryStore::Lane RedisHistoryStore::LaneOf(const std::vector<ScriptCall>& calls,
                                                  const std::vector<size_t>& indexes) {
  for (size_t i : indexes) {
    if (calls[i].script != kGetFacts) return Lane::kWrites;
  }
  return Lane::kReads;
}

absl::Duration RedisHistoryStore::BoundFor(Lane lane) const {
  return lane == Lane::kWrites ? options_.write_timeout : options_.timeout;
}

void RedisHistoryStore::RunBlocking(std::shared_ptr<std::vector<ScriptCall>> calls,
                                    std::vector<std::optional<RedisEndpoint>> ask,
                                    absl::Time deadline, RepliesDone done) {
  blocking_->Post([this, calls = std::move(calls), ask = std::move(ask), deadline,
                   done = std::move(done)]() mutable {
    if (absl::Now() >= deadline) return done(NoteOutcome(Unavailable("timed out")));
    done(Run(*calls, deadline, std::move(ask)));
  });
}

namespace {

absl::StatusOr<WriteResult> ParseWrite(const redisReply* reply) {
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2 ||
      reply->element[0]->type != REDIS_REPLY_INTEGER) {
    return BadReply("write result");
  }
  const long long tag = reply->element[0]->integer;
  if (tag == 2) {
    absl::StatusOr<std::string> message = StringAt(reply, 1);
    if (!message.ok()) return message.status();
    return absl::InvalidArgumentError(*message);
  }
  if (reply->elements != 3 || (tag != 0 && tag != 1)) return BadReply("write result");
  absl::StatusOr<int64_t> started = IntegerAt(reply, 1);
  if (!started.ok()) return started.status();
  absl::StatusOr<SenderFacts> facts = ParseFacts(reply->element[2]);
  if (!facts.ok()) return facts.status();
  WriteResult result;
  result.facts = *std::move(facts);
  result.duplicate = tag == 1;
  result.restriction_started = *started != 0;
  return result;
}

}  // namespace

void RedisHistoryStore::RunWriteAsync(const char* operation, ScriptCall call, absl::Time deadline,
                                      StoreDone<WriteResult> done) {
  const absl::Time start = absl::Now();
  std::vector<ScriptCall> calls;
  calls.push_back(std::move(call));
  RunAsync(
      std::move(calls), deadline,
      [this, operation, start, done = std::move(done)](absl::StatusOr<std::vector<Reply>> replies) {
        absl::StatusOr<WriteResult> result =
            replies.ok() ? ParseWrite((*replies)[0].get()) : replies.status();
        Observe(operation, start, result.status());
        if (result.ok() && result->restriction_started && observer_ != nullptr) {
          observer_->OnRestrictionStarted();
        }
        done(std::move(result));
      });
}

void RedisHistoryStore::RecordInvitation(const std::string& sender_id,
                                         const std::string& invitation_id,
                                         const std::string& recipient_key, absl::Time sent_at,
                                         absl::Time now, absl::Time deadline,
                                         StoreDone<WriteResult> done) {
  if (absl::Status status = CheckSender(sender_id); !status.ok()) return done(status);
  ScriptCall call{kRecordInvitation, sender_id,
                  CommonArgv(std::atomic_load(&policy_)->policy, now, recipient_key)};
  call.argv.push_back(invitation_id);
  call.argv.push_back(absl::StrCat(Millis(sent_at)));
  RunWriteAsync("record_invitation", std::move(call), deadline, std::move(done));
}

void RedisHistoryStore::RecordResponse(const std::string& sender_id,
                                       const std::string& invitation_id,
                                       const std::string& recipient_key,
                                       v1::InvitationResponse response, absl::Time responded_at,
                                       absl::Time now, absl::Time deadline,
                                       StoreDone<WriteResult> done) {
  if (absl::Status status = CheckSender(sender_id); !status.ok()) return done(status);
  if (response == v1::INVITATION_RESPONSE_UNSPECIFIED ||
      !v1::InvitationResponse_IsValid(response)) {
    return done(absl::InvalidArgumentError(
        absl::StrCat("response must be a known, specified InvitationResponse, got ",
                     static_cast<int>(response))));
  }
  const std::shared_ptr<const PolicyState> state = std::atomic_load(&policy_);
  std::vector<std::string> ladder;
  for (absl::Duration length : state->policy.restriction_ladder) {
    ladder.push_back(absl::StrCat(Millis(length)));
  }
  ScriptCall call{kRecordResponse, sender_id, CommonArgv(state->policy, now, recipient_key)};
  call.argv.push_back(invitation_id);
  call.argv.push_back(absl::StrCat(static_cast<int>(response)));
  call.argv.push_back(absl::StrCat(Millis(responded_at)));
  call.argv.push_back(absl::StrCat(state->policy.restrict_reports));
  call.argv.push_back(absl::StrJoin(ladder, " "));
  call.argv.push_back(state->restriction_reason);
  RunWriteAsync("record_response", std::move(call), deadline, std::move(done));
}

void RedisHistoryStore::GetFacts(const std::string& sender_id, const std::string& recipient_key,
                                 absl::Time now, absl::Time deadline, StoreDone<SenderFacts> done) {
  RunGetFactsAsync("get_facts", {FactsQuery{sender_id, recipient_key}}, now, deadline,
                   [done = std::move(done)](absl::StatusOr<std::vector<SenderFacts>> facts) {
                     if (!facts.ok()) return done(facts.status());
                     done(std::move((*facts)[0]));
                   });
}

void RedisHistoryStore::BatchGetFacts(const std::vector<FactsQuery>& queries, absl::Time now,
                                      absl::Time deadline,
                                      StoreDone<std::vector<SenderFacts>> done) {
  if (queries.empty()) return done(std::vector<SenderFacts>());
  RunGetFactsAsync("batch_get_facts", queries, now, deadline, std::move(done));
}

void RedisHistoryStore::RunGetFactsAsync(const char* operation,
                                         const std::vector<FactsQuery>& queries, absl::Time now,
                                         absl::Time deadline,
                                         StoreDone<std::vector<SenderFacts>> done) {
  const StorePolicy policy = std::atomic_load(&policy_)->policy;
  std::vector<ScriptCall> calls;
  calls.reserve(queries.size());
  for (const FactsQuery& query : queries) {
    if (absl::Status status = CheckSender(query.sender_id); !status.ok()) return done(status);
    calls.push_back(
        ScriptCall{kGetFacts, query.sender_id, CommonArgv(policy, now, query.recipient_key)});
  }
  const absl::Time start = absl::Now();
  RunAsync(
      std::move(calls), deadline,
      [this, operation, start, done = std::move(done)](absl::StatusOr<std::vector<Reply>> replies) {
        absl::StatusOr<std::vector<SenderFacts>> result =
            [&]() -> absl::StatusOr<std::vector<SenderFacts>> {
          if (!replies.ok()) return replies.status();
          std::vector<SenderFacts> facts;
          facts.reserve(replies->size());
          for (const Reply& reply : *replies) {
            absl::StatusOr<SenderFacts> one = ParseFacts(reply.get());
            if (!one.ok()) return one.status();
            facts.push_back(*std::move(one));
          }
          return facts;
        }();
        Observe(operation, start, result.status());
        done(std::move(result));
      });
}

void RedisHistoryStore::Release(const std::string& sender_id, const std::string& reason,
                                absl::Time now, absl::Time deadline, StoreDone<SenderFacts> done) {
  if (absl::Status status = CheckSender(sender_id); !status.ok()) return done(status);
  ScriptCall call{kRelease, sender_id, CommonArgv(std::atomic_load(&policy_)->policy, now, "")};
  call.argv.push_back(reason);
  const absl::Time start = absl::Now();
  std::vector<ScriptCall> calls;
  calls.push_back(std::move(call));
  RunAsync(std::move(calls), deadline,
           [this, start, done = std::move(done)](absl::StatusOr<std::vector<Reply>> replies) {
             absl::StatusOr<SenderFacts> facts =
                 replies.ok() ? ParseFacts((*replies)[0].get()) : replies.status();
             Observe("release", start, facts.status());
             done(std::move(facts));
           });
}

void RedisHistoryStore::Forget(const std::string& sender_id, absl::Time deadline,
                               std::function<void(absl::Status)> done) {
  if (absl::Status status = CheckSender(sender_id); !status.ok()) return done(status);
  const absl::Time start = absl::Now();
  std::vector<ScriptCall> calls;
  calls.push_back(ScriptCall{
      kForget, sender_id, CommonArgv(std::atomic_load(&policy_)->policy, absl::UnixEpoch(), "")});
  RunAsync(std::move(calls), deadline,
           [this, start, done = std::move(done)](absl::StatusOr<std::vector<Reply>> replies) {
             absl::Status status = replies.status();
             if (status.ok() && (*replies)[0]->type != REDIS_REPLY_INTEGER) {
               status = BadReply("forget");
             }
             Observe("forget", start, status);
             done(std::move(status));
           });
}

absl::Status RedisHistoryStore::Ping() {
  const absl::Time start = absl::Now();
  absl::Status status = PingOnce();
  Observe("ping", start, status);
  return status;
}

absl::Status RedisHistoryStore::PingOnce() {
  const absl::Time deadline = absl::Now() + options_.timeout;
  std::vector<std::shared_ptr<Node>> nodes;
  if (cluster_ == nullptr) {
    nodes.push_back(single_);
  } else {
    absl::StatusOr<std::vector<std::shared_ptr<Node>>> masters = cluster_->Masters(deadline);
    if (!masters.ok()) return NoteOutcome(masters.status());
    nodes = *std::move(masters);
  }
  // One PING per node, all sent before any reply is read.
  std::vector<std::unique_ptr<Lease>> leases;
  for (const std::shared_ptr<Node>& node : nodes) {
    leases.push_back(std::make_unique<Lease>(node->connection(Lane::kReads), deadline));
    leases.back()->Append({"PING"});
    leases.back()->Flush();
  }
  absl::Status failed;
  for (size_t k = 0; k < leases.size(); ++k) {
    absl::StatusOr<Reply> reply = leases[k]->Next();
    absl::Status status;
    if (!reply.ok()) {
      status = reply.status();
      nodes[k]->NoteFailure();
    } else {
      if ((*reply)->type == REDIS_REPLY_ERROR) {
        status = ErrorReplyStatus(reply->get());
      } else if ((*reply)->type != REDIS_REPLY_STATUS || ReplyText(reply->get()) != "PONG") {
        status = BadReply("PING");
      }
    }
    if (failed.ok()) failed = std::move(status);
  }
  if (cluster_ != nullptr && absl::IsUnavailable(failed)) cluster_->MarkStale();
  return NoteOutcome(failed);
}

}  // namespace etiquette
