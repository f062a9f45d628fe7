#pragma once

// hiredis replies: the owned reply type, the readers of an array's items, and the one
// classification of a reply that every path of the client acts on (Classify): a value, a
// cluster redirection, NOSCRIPT, a transient error ("not now") or any other error.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "history/redis/redis_options.h"

struct redisReply;  // hiredis

namespace etiquette::redis {

struct ReplyDeleter {
  void operator()(redisReply* reply) const;
};
// A reply owned by the caller (freeReplyObject when dropped).
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

// The bytes of a string, status or error reply.
absl::string_view ReplyText(const redisReply* reply);

// UNAVAILABLE "redis unavailable: <what>": Redis cannot answer now; the caller may retry.
absl::Status Unavailable(absl::string_view what);
// INTERNAL "unexpected reply from redis: <what>": a reply of the wrong shape.
absl::Status BadReply(absl::string_view what);

// Item `i` (< array->elements) of an array reply, of the given type; BadReply otherwise.
absl::StatusOr<int64_t> IntegerAt(const redisReply* array, size_t i);
absl::StatusOr<std::string> StringAt(const redisReply* array, size_t i);

// A redirection error reply.
struct ClusterRedirect {
  enum class Kind { kMoved, kAsk };
  Kind kind = Kind::kMoved;
  int slot = 0;
  RedisEndpoint to;
};

// Parses "MOVED <slot> <host>:<port>" or "ASK <slot> <host>:<port>" (the text of an error
// reply); nullopt for any other message. An empty host (Redis 7: unknown endpoint) means the
// host of the node that answered, `current_host`.
std::optional<ClusterRedirect> ParseClusterRedirect(absl::string_view message,
                                                    const std::string& current_host);

// What a reply means to the client.
enum class ReplyKind {
  kValue,        // not an error
  kRedirect,     // MOVED / ASK (ReplyClass::redirect): the command did not run on this node
  kNoScript,     // NOSCRIPT: the node lacks the script (its cache was flushed); it did not run
  kTryAgain,     // TRYAGAIN: a slot is being migrated and the keys are split; it did not run
  kClusterDown,  // CLUSTERDOWN: the cluster cannot serve the slot now
  kBusy,         // LOADING, BUSY, MASTERDOWN: the server cannot serve now
  kError,        // any other error: the command is wrong, or failed
};

struct ReplyClass {
  ReplyKind kind = ReplyKind::kValue;
  ClusterRedirect redirect;  // kRedirect only
};

// The class of `reply`, sent to a node on `node_host` (the host of a redirection that names
// none). Only error replies are read; a value costs a type check.
ReplyClass Classify(const redisReply* reply, const std::string& node_host);

// The kinds that mean "not now" rather than "wrong": the dataset is still loading (after a
// restart), a script is running long, a slot is being migrated, or the cluster cannot serve
// the slot right now (a master is down, or it just restarted).
inline bool IsTransient(ReplyKind kind) {
  return kind == ReplyKind::kTryAgain || kind == ReplyKind::kClusterDown ||
         kind == ReplyKind::kBusy;
}

// The status of an error reply: UNAVAILABLE for a transient one, else INTERNAL
// "redis error: <message>" (a redirection or NOSCRIPT the caller did not follow included).
absl::Status ErrorReplyStatus(const redisReply* reply);

}  // namespace etiquette::redis
