#include "history/redis_url.h"

#include <cstdint>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/secret_file.h"
#include "common/status.h"

namespace etiquette {
namespace {

constexpr absl::string_view kScheme = "redis://";
constexpr absl::string_view kClusterScheme = "redis-cluster://";
// Largest db index accepted (Redis has 16 by default; `databases` can raise it).
constexpr int kMaxDb = 1 << 20;

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid redis URL: ", what,
                   " (expected redis://[[user]:password@]host:port[/db] or "
                   "redis-cluster://[[user]:password@]host:port[,host:port...])"));
}

bool IsDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsHostNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes of the credentials (`what`: "the user name", "the password"). The
// messages never quote the input.
absl::StatusOr<std::string> PercentDecode(absl::string_view in, absl::string_view what) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size() || HexValue(in[i + 1]) < 0 || HexValue(in[i + 2]) < 0) {
      return Invalid(absl::StrCat(what, " has a malformed %-escape"));
    }
    out.push_back(static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
    i += 2;
  }
  return out;
}

// host:port, host possibly a bracketed IPv6 address.
absl::StatusOr<RedisEndpoint> ParseHostPort(absl::string_view authority) {
  absl::string_view host;
  absl::string_view port;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return Invalid("unterminated '[' in the host");
    host = authority.substr(1, close - 1);
    absl::string_view after = authority.substr(close + 1);
    if (after.empty()) return Invalid("the port is missing");
    if (after[0] != ':') return Invalid("expected ':' and a port after the IPv6 address");
    port = after.substr(1);
    if (host.empty()) return Invalid("the host is empty");
    for (char c : host) {
      if (HexValue(c) < 0 && c != ':' && c != '.') {
        return Invalid("the IPv6 address has an unexpected character");
      }
    }
  } else {
    const size_t colon = authority.rfind(':');
    if (colon == absl::string_view::npos) {
      if (authority.empty()) return Invalid("the host is empty");
      return Invalid("the port is missing");
    }
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (host.empty()) return Invalid("the host is empty");
    for (char c : host) {
      if (!IsHostNameChar(c)) {
        return Invalid(absl::StrCat("the host '", host, "' has an unexpected character"));
      }
    }
  }
  if (port.empty()) return Invalid("the port is missing");
  int port_number = 0;
  if (!IsDigits(port) || port.size() > 5 || !absl::SimpleAtoi(port, &port_number) ||
      port_number < 1 || port_number > 65535) {
    return Invalid(absl::StrCat("the port '", port, "' is not a number from 1 to 65535"));
  }
  return RedisEndpoint{std::string(host), port_number};
}

}  // namespace

absl::StatusOr<RedisOptions> ParseRedisUrl(const std::string& url) {
  absl::string_view rest(url);
  const bool cluster = absl::StartsWithIgnoreCase(rest, kClusterScheme);
  if (!cluster && !absl::StartsWithIgnoreCase(rest, kScheme)) {
    if (absl::StartsWithIgnoreCase(rest, "rediss://")) {
      return Invalid(
          "TLS (rediss://) is not supported: point redis:// at a local TLS sidecar (stunnel)");
    }
    return Invalid("it must start with redis:// or redis-cluster://");
  }
  rest.remove_prefix(cluster ? kClusterScheme.size() : kScheme.size());
  if (rest.find_first_of("?#") != absl::string_view::npos) {
    // A password may not contain them unescaped either, so this check comes first.
    return Invalid("query strings and fragments are not supported");
  }

  // Authority ends at the first '/' after the last '@' (a password may contain '/').
  RedisOptions options;
  const size_t at = rest.rfind('@');
  if (at != absl::string_view::npos) {
    absl::string_view userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    // user:password (a Redis ACL user) or :password (the default user); a user name cannot
    // hold a raw ':' (%3A), a password can.
    const size_t colon = userinfo.find(':');
    if (colon == absl::string_view::npos) {
      return Invalid("credentials must be 'user:password@' or ':password@' (no password given)");
    }
    absl::string_view user = userinfo.substr(0, colon);
    userinfo.remove_prefix(colon + 1);
    if (userinfo.empty()) return Invalid("the password is empty");
    absl::StatusOr<std::string> password = PercentDecode(userinfo, "the password");
    if (!password.ok()) return password.status();
    options.password = *std::move(password);
    if (!user.empty()) {
      absl::StatusOr<std::string> name = PercentDecode(user, "the user name");
      if (!name.ok()) return name.status();
      if (absl::StrContains(*name, ' ')) return Invalid("the user name contains a space");
      options.user = *std::move(name);
    }
  }

  absl::string_view authority = rest;
  absl::string_view path;
  const size_t slash = rest.find('/');
  if (slash != absl::string_view::npos) {
    authority = rest.substr(0, slash);
    path = rest.substr(slash + 1);
  }

  if (cluster) {
    if (!path.empty()) {
      return Invalid("a cluster URL takes no database (a Redis Cluster has only db 0)");
    }
    if (authority.empty()) return Invalid("the list of seed nodes is empty");
    for (absl::string_view seed : absl::StrSplit(authority, ',')) {
      if (seed.empty()) return Invalid("the list of seed nodes has an empty entry");
      absl::StatusOr<RedisEndpoint> endpoint = ParseHostPort(seed);
      if (!endpoint.ok()) return endpoint.status();
      options.cluster_seeds.push_back(*std::move(endpoint));
    }
    options.host = options.cluster_seeds.front().host;
    options.port = options.cluster_seeds.front().port;
    return options;
  }

  absl::StatusOr<RedisEndpoint> endpoint = ParseHostPort(authority);
  if (!endpoint.ok()) return endpoint.status();
  options.host = std::move(endpoint->host);
  options.port = endpoint->port;

  if (!path.empty()) {
    int db = 0;
    if (!IsDigits(path) || path.size() > 7 || !absl::SimpleAtoi(path, &db) || db > kMaxDb) {
      return Invalid(absl::StrCat("the database '", path, "' is not a number from 0 to ", kMaxDb));
    }
    options.db = db;
  }
  return options;
}

absl::Status ApplyRedisNodeMap(const std::string& node_map, RedisOptions& options) {
  if (node_map.empty()) return absl::OkStatus();
  if (!options.cluster()) {
    return absl::InvalidArgumentError(
        "--redis_node_map: only for a Redis Cluster (--redis=redis-cluster://...)");
  }
  for (absl::string_view entry : absl::StrSplit(node_map, ',')) {
    const std::vector<absl::string_view> sides = absl::StrSplit(entry, '=');
    if (sides.size() != 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--redis_node_map: '", entry, "' is not announced-host:port=local-host:port"));
    }
    absl::StatusOr<RedisEndpoint> announced = ParseHostPort(sides[0]);
    absl::StatusOr<RedisEndpoint> local = ParseHostPort(sides[1]);
    for (const absl::StatusOr<RedisEndpoint>* side : {&announced, &local}) {
      if (!side->ok()) return ForFlag("--redis_node_map", side->status());
    }
    // The sidecar runs in the pod: a non-loopback target would carry the password in clear.
    if (local->host != "127.0.0.1" && local->host != "::1" && local->host != "localhost") {
      return absl::InvalidArgumentError(absl::StrCat(
          "--redis_node_map: '", sides[1], "' is not a loopback address (the TLS sidecar's)"));
    }
    const std::string name = announced->host.find(':') != std::string::npos
                                 ? absl::StrCat("[", announced->host, "]:", announced->port)
                                 : absl::StrCat(announced->host, ":", announced->port);
    if (!options.node_map.emplace(name, *std::move(local)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--redis_node_map: ", name, " is mapped twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status ReadRedisCredentials(const std::string& user_file, const std::string& password_file,
                                  RedisOptions& options) {
  if (!password_file.empty()) {
    absl::StatusOr<std::string> password = ReadSecretFile(password_file);
    if (!password.ok()) {
      return ForFlag("--redis_password_file", password.status());
    }
    options.password = *std::move(password);
  }
  if (!user_file.empty()) {
    absl::StatusOr<std::string> user = ReadSecretFile(user_file);
    if (!user.ok()) {
      return ForFlag("--redis_user_file", user.status());
    }
    if (user->find_first_of(" \t\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("--redis_user_file: ", user_file, ": the user name has white space"));
    }
    options.user = *std::move(user);
  }
  if (!options.user.empty() && options.password.empty()) {
    return absl::InvalidArgumentError(
        "--redis_user_file: the Redis ACL user needs a password (--redis_password_file or "
        "redis://user:password@ in --redis)");
  }
  return absl::OkStatus();
}

}  // namespace etiquette
