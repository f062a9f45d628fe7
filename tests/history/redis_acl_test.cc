// Redis ACL (issue 14): history as its own ACL user, with the ACL the deploy ships
// (deploy/base/redis/users.acl, rendered by render-users-acl.sh) loaded by a real redis-server:
// the HistoryStore contract suite passes as etiquette-history (every script, every command);
// the ACL allows every command the Lua scripts call; the default user and a wrong password are
// refused (the store's health check says why; the real binary goes NOT_SERVING); the user may
// not run FLUSHALL, CONFIG, KEYS, EVAL or touch keys outside etq:* (redis-cli as that user).

#include <filesystem>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "history/redis_history_store.h"
#include "history/redis_url.h"
#include "tests/history/history_store_contract.h"
#include "tests/history/redis_security_support.h"
#include "tests/support/redis_server.h"

namespace etiquette::testing {
namespace {

using ::testing::HasSubstr;
using Health = grpc::health::v1::HealthCheckResponse;

// A redis-server with the deploy's ACL (default user off); its own connection as
// etiquette-admin.
struct AclRedis {
  ScratchDir dir{"etq-redis-acl"};
  std::unique_ptr<RedisServer> server;

  absl::Status Start() {
    absl::StatusOr<std::string> acl = RenderDeployAcl(dir);
    if (!acl.ok()) return acl.status();
    RedisServerOptions options;
    options.acl_file = *acl;
    options.user = kAdminUser;
    options.password = kAdminPassword;
    absl::StatusOr<std::unique_ptr<RedisServer>> started = RedisServer::Start(options);
    if (!started.ok()) return started.status();
    server = *std::move(started);
    return absl::OkStatus();
  }

  // Store options for this server as `user` ("" = the default user) with `password`.
  RedisOptions Options(const std::string& user, const std::string& password) const {
    absl::StatusOr<RedisOptions> options = ParseRedisUrl(server->url());
    EXPECT_TRUE(options.ok()) << options.status();
    if (!options.ok()) return RedisOptions();
    options->user = user;
    options->password = password;
    options->timeout = absl::Seconds(5);
    options->write_timeout = options->timeout;
    return *options;
  }

  // redis-cli as `user` (password `password`) running `args`; its output.
  std::string Cli(const std::string& user, const std::string& password,
                  const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {
        REDIS_CLI_BINARY, "-h", "127.0.0.1", "-p",     std::to_string(server->port()),
        "--user",         user, "--pass",    password, "--no-auth-warning"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string output;
    absl::StatusOr<int> code = RunToExit(argv, dir.File("cli.log"), &output);
    EXPECT_TRUE(code.ok()) << code.status();
    return output;
  }
};

AclRedis* SharedAclRedis() {
  static const std::unique_ptr<AclRedis> shared = [] {
    auto redis = std::make_unique<AclRedis>();
    if (absl::Status status = redis->Start(); !status.ok()) {
      ADD_FAILURE() << "cannot start redis-server with the deploy's ACL: " << status;
      return std::unique_ptr<AclRedis>();
    }
    return redis;
  }();
  return shared.get();
}

// The contract suite, as etiquette-history: every operation's scripts run under the ACL.
std::unique_ptr<HistoryStore> NewAclUserStore(const StorePolicy& policy) {
  AclRedis* redis = SharedAclRedis();
  RedisOptions options;
  if (redis == nullptr) {
    options.port = 1;  // nothing listens: every call fails, the tests report it
  } else {
    const absl::Status flushed = redis->server->FlushAll();  // as etiquette-admin
    EXPECT_TRUE(flushed.ok()) << flushed;
    options = redis->Options(kHistoryUser, kHistoryPassword);
  }
  return std::make_unique<RedisHistoryStore>(options, policy);
}

INSTANTIATE_TEST_SUITE_P(RedisAclUser, HistoryStoreContractTest,
                         ::testing::Values(StoreFactory(NewAclUserStore)));

class RedisAclTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = SharedAclRedis();
    ASSERT_NE(redis_, nullptr);
  }
  AclRedis* redis_ = nullptr;
};

TEST_F(RedisAclTest, TheStoreWorksAsItsAclUser) {
  RedisHistoryStore store(redis_->Options(kHistoryUser, kHistoryPassword), StorePolicy());
  EXPECT_TRUE(store.Ping().ok()) << store.Ping();
}

TEST_F(RedisAclTest, TheDefaultUserAndAWrongPasswordAreRefused) {
  struct Case {
    const char* name;
    std::string user;
    std::string password;
    const char* why;
    absl::StatusCode code;
  };
  for (const Case& c : {
           // AUTH refused on connect: UNAVAILABLE, as any connection that fails.
           Case{"default user with history's password", "", kHistoryPassword, "WRONGPASS",
                absl::StatusCode::kUnavailable},
           Case{"wrong password", kHistoryUser, "not-the-password-0123456", "WRONGPASS",
                absl::StatusCode::kUnavailable},
           Case{"unknown user", "etiquette-other", kHistoryPassword, "WRONGPASS",
                absl::StatusCode::kUnavailable},
           // No AUTH at all: PING's own reply is the error (a configuration error: INTERNAL).
           Case{"no credentials", "", "", "NOAUTH", absl::StatusCode::kInternal},
       }) {
    RedisHistoryStore store(redis_->Options(c.user, c.password), StorePolicy());
    const absl::Status status = store.Ping();
    EXPECT_EQ(status.code(), c.code) << c.name << ": " << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.why)) << c.name;
    EXPECT_THAT(std::string(status.message()), ::testing::Not(HasSubstr(kHistoryPassword)))
        << c.name;
  }
}

TEST_F(RedisAclTest, TheUserCannotFlushConfigureOrLeaveItsKeys) {
  // A control: the user authenticates and writes its own keys.
  EXPECT_EQ(absl::StripAsciiWhitespace(
                redis_->Cli(kHistoryUser, kHistoryPassword, {"HSET", "etq:{acl-cli}:h", "f", "1"})),
            "1");
  for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
           {"FLUSHALL"},
           {"FLUSHDB"},
           {"CONFIG", "GET", "maxmemory"},
           {"CONFIG", "SET", "appendonly", "no"},
           {"KEYS", "*"},
           {"SCAN", "0"},
           {"EVAL", "return 1", "0"},
           {"SCRIPT", "FLUSH"},
           {"ACL", "LIST"},
           {"SAVE"},
           {"CLIENT", "LIST"},
           {"REPLICAOF", "127.0.0.1", "1"},
           {"SHUTDOWN"},
           {"MONITOR"},
           {"INCR", "etq:{acl-cli}:s"},            // a command history does not run
           {"HSET", "other:{acl-cli}", "f", "1"},  // a key outside etq:*
           {"HGETALL", "other"},
       }) {
    const std::string output = redis_->Cli(kHistoryUser, kHistoryPassword, command);
    EXPECT_THAT(output, HasSubstr("NOPERM")) << absl::StrJoin(command, " ");
  }
  // And the admin still can (the denials are the ACL's, not a broken server).
  EXPECT_THAT(redis_->Cli(kAdminUser, kAdminPassword, {"CONFIG", "GET", "maxmemory"}),
              HasSubstr("maxmemory"));
}

// The commands of history/lua/*.lua (call('X', ...) and call_in_chunks('X', ...)) run with the
// caller's ACL: each must be allowed to etiquette-history by the shipped template.
TEST(RedisAclFileTest, TheAclAllowsEveryCommandTheScriptsCall) {
  const std::string acl = ReadAll(ETIQUETTE_SOURCE_DIR "/deploy/base/redis/users.acl");
  std::string history_line;
  for (absl::string_view line : absl::StrSplit(acl, '\n')) {
    if (absl::StartsWith(line, "user etiquette-history ")) history_line = std::string(line);
  }
  ASSERT_FALSE(history_line.empty()) << "no etiquette-history user in users.acl";
  std::set<std::string> allowed;
  for (absl::string_view rule : absl::StrSplit(history_line, ' ')) {
    if (absl::StartsWith(rule, "+")) allowed.insert(std::string(rule.substr(1)));
  }
  EXPECT_THAT(history_line, HasSubstr(" ~etq:* "));
  EXPECT_THAT(history_line, HasSubstr(" -@all "));
  EXPECT_THAT(acl, HasSubstr("\nuser default off "));

  const std::regex call(R"(call(?:_in_chunks)?\('([A-Za-z]+)')");
  std::set<std::string> called;
  for (const auto& entry :
       std::filesystem::directory_iterator(ETIQUETTE_SOURCE_DIR "/history/lua")) {
    if (entry.path().extension() != ".lua") continue;
    const std::string text = ReadAll(entry.path().string());
    for (auto it = std::sregex_iterator(text.begin(), text.end(), call);
         it != std::sregex_iterator(); ++it) {
      called.insert(absl::AsciiStrToLower((*it)[1].str()));
    }
  }
  ASSERT_GT(called.size(), 10u) << "the scripts' commands were not found";
  for (const std::string& command : called) {
    EXPECT_TRUE(allowed.count(command))
        << "the scripts call " << command << ", which users.acl does not allow etiquette-history";
  }
  // And what the C++ side sends (history/redis/).
  for (const char* command :
       {"ping", "evalsha", "script|load", "info", "wait", "select", "cluster|slots", "asking"}) {
    EXPECT_TRUE(allowed.count(command)) << command;
  }
}

// The real binary: --redis_user_file and --redis_password_file record and read; the default
// user (only a password) is refused and the health says NOT_SERVING, with WRONGPASS in the log.
TEST_F(RedisAclTest, HistoryBinaryRunsAsTheAclUserAndNotAsDefault) {
  ScratchDir dir("etq-history-acl");
  const std::string user_file = dir.Write("user", "etiquette-history\n");
  const std::string password_file = dir.Write("password", absl::StrCat(kHistoryPassword, "\n"));
  {
    absl::StatusOr<std::unique_ptr<HistoryProcess>> history = HistoryProcess::Start(
        dir, {"--redis=" + redis_->server->url(), "--redis_user_file=" + user_file,
              "--redis_password_file=" + password_file});
    ASSERT_TRUE(history.ok()) << history.status();
    EXPECT_EQ((*history)->Health(), Health::SERVING);
    grpc::Status recorded = (*history)->RecordInvitation("acl-sender", "acl-inv-1", "acl-rcpt");
    EXPECT_TRUE(recorded.ok()) << recorded.error_message();
    v1::SenderStanding standing;
    grpc::Status read = (*history)->GetStanding("acl-sender", &standing);
    ASSERT_TRUE(read.ok()) << read.error_message();
    EXPECT_EQ(standing.invitations_last_7d(), 1u);
  }
  {
    absl::StatusOr<std::unique_ptr<HistoryProcess>> history = HistoryProcess::Start(
        dir, {"--redis=" + redis_->server->url(), "--redis_password_file=" + password_file});
    ASSERT_TRUE(history.ok()) << history.status();
    EXPECT_TRUE((*history)->WaitForHealth(Health::NOT_SERVING));
    absl::StatusOr<std::string> line =
        (*history)->process().WaitForLogLine("NOT_SERVING", absl::Seconds(10));
    ASSERT_TRUE(line.ok()) << line.status();
    EXPECT_THAT(*line, HasSubstr("WRONGPASS"));
    EXPECT_THAT(*line, ::testing::Not(HasSubstr(kHistoryPassword)));
    grpc::Status recorded = (*history)->RecordInvitation("acl-sender", "acl-inv-2", "acl-rcpt");
    EXPECT_EQ(recorded.error_code(), grpc::StatusCode::UNAVAILABLE) << recorded.error_message();
  }
}

}  // namespace
}  // namespace etiquette::testing
