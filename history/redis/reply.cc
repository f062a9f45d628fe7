#include "history/redis/reply.h"

#include <hiredis/hiredis.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "history/redis/key_slot.h"

namespace etiquette::redis {

void ReplyDeleter::operator()(redisReply* reply) const {
  if (reply != nullptr) freeReplyObject(reply);
}

absl::string_view ReplyText(const redisReply* reply) {
  return absl::string_view(reply->str, reply->len);
}

absl::Status Unavailable(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat("redis unavailable: ", what));
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

std::optional<ClusterRedirect> ParseClusterRedirect(absl::string_view message,
                                                    const std::string& current_host) {
  ClusterRedirect redirect;
  if (absl::ConsumePrefix(&message, "MOVED ")) {
    redirect.kind = ClusterRedirect::Kind::kMoved;
  } else if (absl::ConsumePrefix(&message, "ASK ")) {
    redirect.kind = ClusterRedirect::Kind::kAsk;
  } else {
    return std::nullopt;
  }
  const size_t space = message.find(' ');
  if (space == absl::string_view::npos) return std::nullopt;
  if (!absl::SimpleAtoi(message.substr(0, space), &redirect.slot) || redirect.slot < 0 ||
      redirect.slot >= kRedisClusterSlots) {
    return std::nullopt;
  }
  absl::string_view address = message.substr(space + 1);
  // host:port; Redis writes an IPv6 host without brackets, so the port follows the last ':'.
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return std::nullopt;
  absl::string_view host = address.substr(0, colon);
  if (absl::ConsumePrefix(&host, "[")) {
    if (!absl::ConsumeSuffix(&host, "]")) return std::nullopt;
  }
  if (!absl::SimpleAtoi(address.substr(colon + 1), &redirect.to.port) || redirect.to.port < 1 ||
      redirect.to.port > 65535) {
    return std::nullopt;
  }
  redirect.to.host = host.empty() ? current_host : std::string(host);
  return redirect;
}

namespace {

// The kind of an error reply's message.
ReplyKind ErrorKind(absl::string_view message) {
  if (absl::StartsWith(message, "NOSCRIPT")) return ReplyKind::kNoScript;
  if (absl::StartsWith(message, "TRYAGAIN")) return ReplyKind::kTryAgain;
  if (absl::StartsWith(message, "CLUSTERDOWN")) return ReplyKind::kClusterDown;
  if (absl::StartsWith(message, "LOADING") || absl::StartsWith(message, "BUSY") ||
      absl::StartsWith(message, "MASTERDOWN")) {
    return ReplyKind::kBusy;
  }
  return ReplyKind::kError;
}

}  // namespace

ReplyClass Classify(const redisReply* reply, const std::string& node_host) {
  ReplyClass result;
  if (reply->type != REDIS_REPLY_ERROR) return result;
  const absl::string_view message = ReplyText(reply);
  if (std::optional<ClusterRedirect> redirect = ParseClusterRedirect(message, node_host)) {
    result.kind = ReplyKind::kRedirect;
    result.redirect = *std::move(redirect);
    return result;
  }
  result.kind = ErrorKind(message);
  return result;
}

absl::Status ErrorReplyStatus(const redisReply* reply) {
  const absl::string_view message = ReplyText(reply);
  if (IsTransient(ErrorKind(message))) return Unavailable(message);
  return absl::InternalError(absl::StrCat("redis error: ", message));
}

}  // namespace etiquette::redis
