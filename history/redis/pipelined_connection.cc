#include "history/redis/pipelined_connection.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <signal.h>
#include <sys/time.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace etiquette::redis {
namespace {

timeval TimeoutOf(absl::Duration d) {
  d = std::max(d, absl::Milliseconds(1));
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(absl::ToInt64Seconds(d));
  tv.tv_usec = static_cast<suseconds_t>(
      absl::ToInt64Microseconds(d - absl::Seconds(absl::ToInt64Seconds(d))));
  return tv;
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

// An idle connection with something to read was closed by the server (restart, timeout
// of idle clients) or is out of step: never reuse it.
bool IsStale(redisContext* context) {
  pollfd fd{context->fd, POLLIN, 0};
  return context->err != 0 || ::poll(&fd, 1, 0) != 0;
}

}  // namespace

void AppendCommand(std::string& out, const std::vector<std::string>& args) {
  absl::StrAppend(&out, "*", args.size(), "\r\n");
  for (const std::string& arg : args) absl::StrAppend(&out, "$", arg.size(), "\r\n", arg, "\r\n");
}

void AppendCommand(std::string& out, std::initializer_list<absl::string_view> head,
                   std::initializer_list<const std::vector<std::string>*> tails) {
  size_t count = head.size();
  for (const std::vector<std::string>* tail : tails) count += tail->size();
  absl::StrAppend(&out, "*", count, "\r\n");
  for (absl::string_view arg : head) absl::StrAppend(&out, "$", arg.size(), "\r\n", arg, "\r\n");
  for (const std::vector<std::string>* tail : tails) {
    for (const std::string& arg : *tail) {
      absl::StrAppend(&out, "$", arg.size(), "\r\n", arg, "\r\n");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Exchange

void Exchange::Complete(absl::StatusOr<std::vector<Reply>> result) {
  if (done_fn_) return done_fn_(std::move(result));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    result_ = std::move(result);
    done_ = true;
  }
  cv_.notify_one();
}

absl::StatusOr<std::vector<Reply>> Exchange::Wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!cv_.wait_until(lock, absl::ToChronoTime(deadline_), [this] { return done_; })) {
    return Unavailable("no reply in time");
  }
  return std::move(result_);
}

// ---------------------------------------------------------------------------------------------
// Connection

Connection::Connection(const RedisOptions& options, int wait_replicas)
    : options_(options), wait_replicas_(wait_replicas), thread_([this] { Loop(); }) {
  IgnoreSigpipe();
}

Connection::~Connection() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
  if (context_ != nullptr) redisFree(context_);
}

void Connection::Submit(std::shared_ptr<Exchange> exchange) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(exchange));
  }
  cv_.notify_one();
}

void Connection::Loop() {
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

void Connection::Fail(std::vector<std::shared_ptr<Exchange>>& exchanges, size_t from,
                      const absl::Status& status) {
  for (size_t k = from; k < exchanges.size(); ++k) exchanges[k]->Complete(status);
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
}

absl::StatusOr<long long> Connection::ReadWaitReply(absl::Time deadline) {
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

void Connection::Round(std::vector<std::shared_ptr<Exchange>>& round) {
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
    redisAppendFormattedCommand(context_, exchange->commands().data(), exchange->commands().size());
  }
  if (wait_replicas_ > 0) {
    // One WAIT for the round (a group commit, like its one fsync): Redis answers it once
    // `wait_replicas_` replicas have everything the round wrote, or at its timeout with
    // fewer. It times out before the round, so that its answer still arrives: Redis checks
    // timeouts on its event loop, up to 1/hz (100 ms by default) late.
    const absl::Duration left = deadline - now;
    const int64_t wait_ms =
        std::max<int64_t>(1, absl::ToInt64Milliseconds(left - left / 10 - absl::Milliseconds(100)));
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

absl::StatusOr<redisContext*> Connection::Connect(absl::Time deadline) {
  if (!options_.refused.empty()) return Unavailable(options_.refused);
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
  if (!options_.user.empty()) {
    commands.push_back({"AUTH", options_.user, options_.password});
  } else if (!options_.password.empty()) {
    commands.push_back({"AUTH", options_.password});
  }
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

// ---------------------------------------------------------------------------------------------
// Lease

void Lease::Send(Exchange::Done done) {
  connection_.Submit(
      std::make_shared<Exchange>(std::move(commands_), count_, deadline_, std::move(done)));
  commands_.clear();
  count_ = 0;
}

void Lease::Flush() {
  if (count_ == 0) return;
  auto exchange = std::make_shared<Exchange>(std::move(commands_), count_, deadline_);
  commands_.clear();
  count_ = 0;
  connection_.Submit(exchange);
  sent_.push_back(std::move(exchange));
}

absl::StatusOr<Reply> Lease::Next() {
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

}  // namespace etiquette::redis
