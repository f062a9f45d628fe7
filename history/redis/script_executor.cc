#include "history/redis/script_executor.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <numeric>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "history/redis/cluster_router.h"
#include "history/redis/key_slot.h"
#include "history/redis/pipelined_connection.h"
#include "spdlog/spdlog.h"

namespace etiquette::redis {
namespace {

// Cluster mode. A call follows at most this many rounds of MOVED / ASK redirections (a slot
// map that keeps changing under it): more means something is wrong, not just a reshard.
constexpr int kMaxRedirections = 8;
// TRYAGAIN (a slot being migrated, the keys split or missing on both nodes): pauses between
// attempts, doubling, always within the call's timeout.
constexpr absl::Duration kTryAgainFirstPause = absl::Milliseconds(2);
constexpr absl::Duration kTryAgainMaxPause = absl::Milliseconds(20);

// Threads for the calls the pipelined path hands to the blocking one (see RunAsync).
constexpr int kBlockingThreads = 8;

// The slot of a call: that of its first key.
int SlotOf(const ScriptCall& call) {
  return call.keys.empty() ? 0 : RedisKeySlot(call.keys.front());
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The few threads on which the asynchronous path runs what it cannot finish by itself.

class ScriptExecutor::BlockingThreads {
 public:
  explicit BlockingThreads(int count) {
    for (int i = 0; i < count; ++i) threads_.emplace_back([this] { Loop(); });
  }
  // Runs what is queued, then joins.
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

// The calls of one Run that go to one node in one round: one pipeline on one connection.
struct ScriptExecutor::NodeBatch {
  std::shared_ptr<Node> node;
  std::vector<size_t> indexes;  // into the calls
  std::vector<bool> asking;     // per index: ASKING first (an ASK redirection)
  std::unique_ptr<Lease> lease;
  bool written = false;  // the pipeline went out: replies are to be read
};

ScriptExecutor::ScriptExecutor(RedisOptions options, std::vector<LuaScript> scripts)
    : options_(std::move(options)), scripts_(std::move(scripts)) {
  if (scripts_.size() > static_cast<size_t>(Node::kMaxScripts)) {
    spdlog::critical("redis: {} scripts, at most {}", scripts_.size(), Node::kMaxScripts);
    std::abort();
  }
  if (options_.cluster()) {
    cluster_ = std::make_unique<ClusterRouter>(options_);
  } else {
    single_ = std::make_shared<Node>(options_, RedisEndpoint{options_.host, options_.port});
  }
  blocking_ = std::make_unique<BlockingThreads>(kBlockingThreads);
}

ScriptExecutor::~ScriptExecutor() = default;

Lane ScriptExecutor::LaneOf(const std::vector<ScriptCall>& calls,
                            const std::vector<size_t>& indexes) const {
  for (size_t i : indexes) {
    if (!scripts_[calls[i].script].read_only) return Lane::kWrites;
  }
  return Lane::kReads;
}

absl::Status ScriptExecutor::NoteOutcome(absl::Status status) {
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

// ---------------------------------------------------------------------------------------------
// The blocking path.

absl::StatusOr<std::vector<Reply>> ScriptExecutor::RunFollowing(
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
              cluster_->NodeForSlot(SlotOf(calls[i]), deadline);
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
        const ReplyClass reply = Classify(replies[i].get(), batch.node->endpoint().host);
        switch (reply.kind) {
          case ReplyKind::kRedirect:
            if (reply.redirect.kind == ClusterRedirect::Kind::kMoved) {
              cluster_->Moved(reply.redirect.slot, reply.redirect.to);
            } else {
              ask[i] = reply.redirect.to;
            }
            redirected = true;
            again.push_back(i);
            break;
          case ReplyKind::kTryAgain:
            try_again = true;
            again.push_back(i);
            break;
          case ReplyKind::kClusterDown:
            cluster_->MarkStale();
            break;
          default:
            break;
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

absl::Status ScriptExecutor::LoadScripts(Node& node, Lease& lease,
                                         const std::vector<int>& which) const {
  for (int script : which) lease.Append({"SCRIPT", "LOAD", scripts_[script].source});
  for (int script : which) {
    absl::StatusOr<Reply> reply = lease.Next();
    if (!reply.ok()) return reply.status();
    if ((*reply)->type == REDIS_REPLY_ERROR) return ErrorReplyStatus(reply->get());
    if ((*reply)->type != REDIS_REPLY_STRING || ReplyText(reply->get()) != scripts_[script].sha) {
      return BadReply(absl::StrCat("SCRIPT LOAD of ", scripts_[script].name));
    }
    spdlog::debug("redis script {} loaded on {}", scripts_[script].name, node.name());
    node.set_loaded(script, true);
  }
  return absl::OkStatus();
}

void ScriptExecutor::AppendEvals(Lease& lease, const std::vector<ScriptCall>& calls,
                                 const std::vector<size_t>& indexes,
                                 const std::vector<bool>& asking) const {
  for (size_t k = 0; k < indexes.size(); ++k) {
    const ScriptCall& call = calls[indexes[k]];
    if (!asking.empty() && asking[k]) lease.Append({"ASKING"});
    const std::string key_count = absl::StrCat(call.keys.size());
    lease.Append({"EVALSHA", scripts_[call.script].sha, key_count}, {&call.keys, &call.argv});
  }
}

absl::Status ScriptExecutor::StartBatch(const std::vector<ScriptCall>& calls, NodeBatch& batch,
                                        absl::Time deadline) {
  Node& node = *batch.node;
  batch.lease = std::make_unique<Lease>(node.connection(LaneOf(calls, batch.indexes)), deadline);
  std::vector<int> unloaded;
  for (size_t i : batch.indexes) {
    const int script = calls[i].script;
    if (!node.loaded(script) &&
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

absl::Status ScriptExecutor::FinishBatch(const std::vector<ScriptCall>& calls, NodeBatch& batch,
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
  std::vector<int> reload;
  for (size_t k = 0; k < batch.indexes.size(); ++k) {
    const size_t i = batch.indexes[k];
    if (Classify(replies[i].get(), node.endpoint().host).kind == ReplyKind::kNoScript) {
      again.push_back(i);
      again_asking.push_back(batch.asking[k]);
      node.set_loaded(calls[i].script, false);
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
// The asynchronous path: one exchange on a pipelined connection, answered on its I/O thread.
// What that cannot finish by itself (a script not loaded on the node yet, NOSCRIPT, a cluster
// redirection, a slot map to learn or refresh) goes to RunFollowing on a blocking thread.

void ScriptExecutor::RunAsync(std::vector<ScriptCall> calls, absl::Time caller_deadline,
                              RepliesDone done) {
  std::vector<size_t> indexes(calls.size());
  std::iota(indexes.begin(), indexes.end(), size_t{0});
  const Lane lane = LaneOf(calls, indexes);
  const absl::Duration bound = lane == Lane::kWrites ? options_.write_timeout : options_.timeout;
  const absl::Time deadline = std::min(absl::Now() + bound, caller_deadline);
  // The fast path: every call on one node whose map is fresh, every script loaded there.
  std::shared_ptr<Node> node = single_;
  for (const ScriptCall& call : calls) {
    if (cluster_ != nullptr) {
      std::shared_ptr<Node> routed = cluster_->FreshNodeForSlot(SlotOf(call));
      if (routed == nullptr || (node != nullptr && routed != node)) {
        node = nullptr;
        break;
      }
      node = std::move(routed);
    }
    if (!node->loaded(call.script)) {
      node = nullptr;
      break;
    }
  }
  auto shared_calls = std::make_shared<std::vector<ScriptCall>>(std::move(calls));
  if (node == nullptr) return RunBlocking(std::move(shared_calls), {}, deadline, std::move(done));

  Lease lease(node->connection(lane), deadline);
  AppendEvals(lease, *shared_calls, indexes, {});
  // The node outlives the exchange (the executor keeps every node it ever made): the callback
  // holds a plain pointer, so that the I/O thread never drops the last reference to it.
  lease.Send([this, node = node.get(), shared_calls, deadline,
              done = std::move(done)](absl::StatusOr<std::vector<Reply>> replies) mutable {
    OnAsyncReplies(*node, std::move(shared_calls), deadline, std::move(replies), done);
  });
}

void ScriptExecutor::OnAsyncReplies(Node& node, std::shared_ptr<std::vector<ScriptCall>> calls,
                                    absl::Time deadline, absl::StatusOr<std::vector<Reply>> replies,
                                    RepliesDone& done) {
  if (!replies.ok()) {
    node.NoteFailure();
    if (cluster_ != nullptr && absl::IsUnavailable(replies.status())) cluster_->MarkStale();
    return done(NoteOutcome(replies.status()));
  }
  // What the blocking path must redo; a redirection is applied as RunFollowing would. Else the
  // first error reply is the answer.
  bool again = false;
  std::vector<std::optional<RedisEndpoint>> ask;
  const redisReply* error = nullptr;
  ReplyKind error_kind = ReplyKind::kValue;
  for (size_t i = 0; i < replies->size(); ++i) {
    const redisReply* reply = (*replies)[i].get();
    if (reply->type != REDIS_REPLY_ERROR) continue;
    const ReplyClass kind = Classify(reply, node.endpoint().host);
    if (error == nullptr) {
      error = reply;
      error_kind = kind.kind;
    }
    if (kind.kind == ReplyKind::kNoScript) {
      node.set_loaded((*calls)[i].script, false);
      again = true;
    } else if (cluster_ != nullptr && kind.kind == ReplyKind::kTryAgain) {
      again = true;
    } else if (cluster_ != nullptr && kind.kind == ReplyKind::kRedirect) {
      if (kind.redirect.kind == ClusterRedirect::Kind::kMoved) {
        cluster_->Moved(kind.redirect.slot, kind.redirect.to);
      } else {
        ask.resize(replies->size());
        ask[i] = kind.redirect.to;
      }
      again = true;
    }
  }
  if (again) return RunBlocking(std::move(calls), std::move(ask), deadline, std::move(done));
  if (error != nullptr) {
    if (cluster_ != nullptr && error_kind == ReplyKind::kClusterDown) cluster_->MarkStale();
    return done(NoteOutcome(ErrorReplyStatus(error)));
  }
  NoteOutcome(absl::OkStatus()).IgnoreError();
  done(std::move(replies));
}

void ScriptExecutor::RunBlocking(std::shared_ptr<std::vector<ScriptCall>> calls,
                                 std::vector<std::optional<RedisEndpoint>> ask, absl::Time deadline,
                                 RepliesDone done) {
  blocking_->Post([this, calls = std::move(calls), ask = std::move(ask), deadline,
                   done = std::move(done)]() mutable {
    if (absl::Now() >= deadline) return done(NoteOutcome(Unavailable("timed out")));
    done(RunFollowing(*calls, deadline, std::move(ask)));
  });
}

// ---------------------------------------------------------------------------------------------

absl::Status ScriptExecutor::Ping() {
  return NoteOutcome(PingNodes(absl::Now() + options_.timeout));
}

absl::StatusOr<std::vector<std::shared_ptr<Node>>> ScriptExecutor::Masters(absl::Time deadline) {
  if (cluster_ == nullptr) return std::vector<std::shared_ptr<Node>>{single_};
  return cluster_->Masters(deadline);
}

std::vector<std::unique_ptr<Lease>> ScriptExecutor::SendToEach(
    const std::vector<std::shared_ptr<Node>>& nodes, const std::vector<std::string>& args,
    absl::Time deadline) {
  std::vector<std::unique_ptr<Lease>> leases;
  for (const std::shared_ptr<Node>& node : nodes) {
    leases.push_back(std::make_unique<Lease>(node->connection(Lane::kReads), deadline));
    leases.back()->Append(args);
    leases.back()->Flush();
  }
  return leases;
}

absl::StatusOr<std::vector<std::string>> ScriptExecutor::TextOfMasters(
    const std::vector<std::string>& args) {
  const absl::Time deadline = absl::Now() + options_.timeout;
  absl::StatusOr<std::vector<std::shared_ptr<Node>>> nodes = Masters(deadline);
  if (!nodes.ok()) return nodes.status();
  std::vector<std::unique_ptr<Lease>> leases = SendToEach(*nodes, args, deadline);
  std::vector<std::string> texts;
  for (auto& lease : leases) {
    absl::StatusOr<Reply> reply = lease->Next();
    if (!reply.ok()) return reply.status();
    if ((*reply)->type == REDIS_REPLY_ERROR) return ErrorReplyStatus(reply->get());
    if ((*reply)->type != REDIS_REPLY_STRING && (*reply)->type != REDIS_REPLY_STATUS) {
      return BadReply(args.empty() ? "command" : args[0]);
    }
    texts.emplace_back(ReplyText(reply->get()));
  }
  return texts;
}

absl::Status ScriptExecutor::PingNodes(absl::Time deadline) {
  absl::StatusOr<std::vector<std::shared_ptr<Node>>> masters = Masters(deadline);
  if (!masters.ok()) return masters.status();
  const std::vector<std::shared_ptr<Node>>& nodes = *masters;
  std::vector<std::unique_ptr<Lease>> leases = SendToEach(nodes, {"PING"}, deadline);
  absl::Status failed;
  for (size_t k = 0; k < leases.size(); ++k) {
    absl::StatusOr<Reply> reply = leases[k]->Next();
    absl::Status status;
    if (!reply.ok()) {
      status = reply.status();
      nodes[k]->NoteFailure();
    } else if ((*reply)->type == REDIS_REPLY_ERROR) {
      status = ErrorReplyStatus(reply->get());
    } else if ((*reply)->type != REDIS_REPLY_STATUS || ReplyText(reply->get()) != "PONG") {
      status = BadReply("PING");
    }
    if (failed.ok()) failed = std::move(status);
  }
  if (cluster_ != nullptr && absl::IsUnavailable(failed)) cluster_->MarkStale();
  return failed;
}

}  // namespace etiquette::redis
