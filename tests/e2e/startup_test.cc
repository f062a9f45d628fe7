// Start-up refusals of the real binaries: each bad start-up input (a missing, empty or short
// secret or token file, a bad --redis URL, timeouts that are not positive, a bad config, a bad
// --fail_mode, TLS files that are not there, an unknown flag) ends the process with a non-zero
// exit code and one line that names the flag; --check-config exits 0 on a good file and 1 on a
// bad one. Nothing here needs Redis: every refusal comes before the first connection.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "support/child_process.h"

namespace etiquette {
namespace {

using testing::ChildProcess;

struct Refusal {
  const char* name;
  const char* binary;              // "evaluator" or "history"
  std::vector<std::string> flags;  // "$D" is the test's directory
  int exit_code;
  const char* line;  // a substring of the line that says why
};

void PrintTo(const Refusal& refusal, std::ostream* out) { *out << refusal.name; }

class StartupTest : public ::testing::TestWithParam<Refusal> {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/etiquette-startup-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    Write("empty", "");
    Write("short-secret", "fifteen bytes!!");
    // Key rotation: a second secret too short, the same secret twice.
    Write("short-second-secret", "a-first-secret-of-32-bytes-long!\nfifteen bytes!!\n");
    Write("same-secret-twice",
          "a-first-secret-of-32-bytes-long!\na-first-secret-of-32-bytes-long!\n");
    Write("secret", "a-secret-of-more-than-sixteen-bytes");
    Write("blank-token", "\n  \n");
    Write("bad-history.yaml", "warn_reports: 0\n");
    Write("bad-evaluator.yaml", "rules:\n  note_length:\n    free_limit: 0\n");
    Write("not-yaml.yaml", "rules: [\n");
    Write("short-token", "0123456789abcdef0123456789abcde\n");        // 31 bytes
    Write("low-variety-token", std::string(40, 'a') + "bcdefghi\n");  // 9 distinct bytes
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }

  // Runs `binary` with `flags` ($D replaced) to its exit; its output in *output.
  int Run(const std::string& binary, const std::vector<std::string>& flags, std::string* output) {
    std::vector<std::string> argv = {
        binary == "history" ? ETIQUETTE_HISTORY_BINARY : ETIQUETTE_EVALUATOR_BINARY,
        "--listen=127.0.0.1:0", "--metrics_listen="};
    for (const std::string& flag : flags) argv.push_back(absl::StrReplaceAll(flag, {{"$D", dir_}}));
    const std::string log = dir_ + "/out.log";
    std::filesystem::remove(log);
    absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(argv, log);
    EXPECT_TRUE(process.ok()) << process.status();
    if (!process.ok()) return -1;
    absl::StatusOr<int> code = (*process)->WaitForExit(absl::Seconds(20));
    std::ifstream in(log);
    output->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    EXPECT_TRUE(code.ok()) << "still running: " << *output;
    return code.ok() ? *code : -1;
  }

  std::string dir_;
};

TEST_P(StartupTest, RefusesWithOneLineNamingTheFlag) {
  const Refusal& refusal = GetParam();
  std::string output;
  EXPECT_EQ(Run(refusal.binary, refusal.flags, &output), refusal.exit_code) << output;
  const std::string line = absl::StrReplaceAll(refusal.line, {{"$D", dir_}});
  EXPECT_NE(output.find(line), std::string::npos) << "expected a line with \"" << line << "\" in:\n"
                                                  << output;
}

const char* const kSecret = "--hmac_secret_file=$D/secret";

INSTANTIATE_TEST_SUITE_P(
    BadInput, StartupTest,
    ::testing::Values(
        Refusal{"HistoryWithoutSecret", "history", {}, 1, "--hmac_secret_file is required"},
        Refusal{"HistorySecretMissing",
                "history",
                {"--hmac_secret_file=$D/nope"},
                1,
                "--hmac_secret_file: "},
        Refusal{"HistorySecretEmpty",
                "history",
                {"--hmac_secret_file=$D/empty"},
                1,
                "--hmac_secret_file: "},
        Refusal{"HistorySecretShort",
                "history",
                {"--hmac_secret_file=$D/short-secret"},
                1,
                "--hmac_secret_file: the HMAC secret must be at least 16 bytes"},
        Refusal{"HistorySecondSecretShort",
                "history",
                {"--hmac_secret_file=$D/short-second-secret"},
                1,
                "--hmac_secret_file: the HMAC secret 2 must be at least 16 bytes"},
        Refusal{"HistorySameSecretTwice",
                "history",
                {"--hmac_secret_file=$D/same-secret-twice"},
                1,
                "--hmac_secret_file: the HMAC secrets 1 and 2 are the same"},
        Refusal{"HistoryAdminTokenMissing",
                "history",
                {kSecret, "--admin_token_file=$D/nope"},
                1,
                "--admin_token_file: "},
        Refusal{"HistoryAdminTokenBlank",
                "history",
                {kSecret, "--admin_token_file=$D/blank-token"},
                1,
                "--admin_token_file: "},
        Refusal{"HistoryBadRedisUrl",
                "history",
                {kSecret, "--redis=http://127.0.0.1:6379"},
                1,
                "--redis: invalid redis URL"},
        Refusal{"HistoryRedisPasswordFileMissing",
                "history",
                {kSecret, "--redis_password_file=$D/nope"},
                1,
                "--redis_password_file: "},
        Refusal{"HistoryRedisUserFileMissing",
                "history",
                {kSecret, "--redis_user_file=$D/nope", "--redis_password_file=$D/secret"},
                1,
                "--redis_user_file: "},
        Refusal{"HistoryRedisUserWithoutPassword",
                "history",
                {kSecret, "--redis_user_file=$D/secret"},
                1,
                "--redis_user_file: the Redis ACL user needs a password"},
        Refusal{"HistoryRedisNodeMapWithoutCluster",
                "history",
                {kSecret, "--redis_node_map=r0:6379=127.0.0.1:7000"},
                1,
                "--redis_node_map: only for a Redis Cluster"},
        Refusal{"HistoryZeroReadTimeout",
                "history",
                {kSecret, "--redis_timeout_ms=0"},
                1,
                "--redis_timeout_ms must be greater than 0"},
        Refusal{"HistoryNegativeWriteTimeout",
                "history",
                {kSecret, "--redis_write_timeout_ms=-5"},
                1,
                "--redis_write_timeout_ms must be greater than 0"},
        Refusal{"HistoryBadConfig",
                "history",
                {kSecret, "--config=$D/bad-history.yaml"},
                1,
                "--config: "},
        Refusal{
            "HistoryConfigMissing", "history", {kSecret, "--config=$D/nope.yaml"}, 1, "--config: "},
        Refusal{"HistoryTlsCertMissing",
                "history",
                {kSecret, "--tls_cert=$D/nope.pem", "--tls_key=$D/nope.key"},
                1,
                "--tls_cert: "},
        Refusal{"HistoryTlsKeyWithoutCert",
                "history",
                {kSecret, "--tls_key=$D/secret"},
                1,
                "--tls_cert and --tls_key go together"},
        Refusal{"HistoryAdminTokenShort",
                "history",
                {kSecret, "--admin_token_file=$D/short-token"},
                1,
                "--admin_token_file: $D/short-token: line 1: an admin token must be at least 32 "
                "bytes"},
        Refusal{"HistoryAdminTokenLowVariety",
                "history",
                {kSecret, "--admin_token_file=$D/low-variety-token"},
                1,
                "an admin token must have at least 10 distinct characters"},
        Refusal{"HistoryRequireTlsWithoutCert",
                "history",
                {kSecret, "--require_tls"},
                1,
                "--require_tls: --tls_cert is required"},
        Refusal{"HistoryRequireTlsWithoutKey",
                "history",
                {kSecret, "--require_tls", "--tls_cert=$D/secret"},
                1,
                "--require_tls: --tls_key is required"},
        Refusal{"HistoryRequireTlsAdminPlaintext",
                "history",
                {kSecret, "--require_tls", "--tls_cert=$D/secret", "--tls_key=$D/secret"},
                1,
                "--require_tls: --admin_tls_cert is required"},
        Refusal{"HistoryRequireTlsAdminWithoutClientCa",
                "history",
                {kSecret, "--require_tls", "--tls_cert=$D/secret", "--tls_key=$D/secret",
                 "--admin_tls_cert=$D/secret", "--admin_tls_key=$D/secret"},
                1,
                "--require_tls: --admin_tls_client_ca is required"},
        Refusal{"HistoryRequireTlsAdminWithoutIdentities",
                "history",
                {kSecret, "--require_tls", "--tls_cert=$D/secret", "--tls_key=$D/secret",
                 "--admin_tls_cert=$D/secret", "--admin_tls_key=$D/secret",
                 "--admin_tls_client_ca=$D/secret"},
                1,
                "--require_tls: --admin_allowed_identities is required"},
        Refusal{"HistoryAdminIdentitiesWithoutMutualTls",
                "history",
                {kSecret, "--admin_allowed_identities=spiffe://cluster.local/ns/ops/sa/operator"},
                1,
                "--admin_allowed_identities needs mutual TLS on the admin listener"},
        Refusal{"HistoryAdminIdentitiesWildcard",
                "history",
                {kSecret, "--admin_allowed_identities=*.example.com"},
                1,
                "--admin_allowed_identities: "},
        Refusal{"HistoryAdminTlsKeyWithoutCert",
                "history",
                {kSecret, "--admin_tls_key=$D/secret"},
                1,
                "--admin_tls_cert and --admin_tls_key go together"},
        Refusal{"HistoryAdminTlsCertMissing",
                "history",
                {kSecret, "--admin_tls_cert=$D/nope.pem", "--admin_tls_key=$D/secret"},
                1,
                "--admin_tls_cert: "},
        Refusal{"EvaluatorRequireTlsWithoutCert",
                "evaluator",
                {"--require_tls"},
                1,
                "--require_tls: --tls_cert is required"},
        Refusal{"EvaluatorRequireTlsHistoryPlaintext",
                "evaluator",
                {"--require_tls", "--tls_cert=$D/secret", "--tls_key=$D/secret",
                 "--history=127.0.0.1:1"},
                1,
                "--require_tls: --history_tls_ca is required"},
        Refusal{"EvaluatorRequireTlsNotABool",
                "evaluator",
                {"--require_tls=maybe"},
                2,
                "--require_tls: expected true or false"},
        Refusal{"EvaluatorBadFailMode",
                "evaluator",
                {"--fail_mode=sometimes"},
                1,
                "--fail_mode: expected open or closed"},
        Refusal{"EvaluatorZeroHistoryTimeout",
                "evaluator",
                {"--history_timeout_ms=0"},
                1,
                "--history_timeout_ms must be greater than 0"},
        Refusal{
            "EvaluatorBadConfig", "evaluator", {"--config=$D/bad-evaluator.yaml"}, 1, "--config: "},
        Refusal{
            "EvaluatorConfigNotYaml", "evaluator", {"--config=$D/not-yaml.yaml"}, 1, "--config: "},
        Refusal{"EvaluatorHistoryCaMissing",
                "evaluator",
                {"--history=127.0.0.1:1", "--history_tls_ca=$D/nope.pem"},
                1,
                "--history_tls_ca: "},
        Refusal{"EvaluatorBadLogFormat",
                "evaluator",
                {"--log_format=xml"},
                2,
                "--log_format: expected text or json"},
        Refusal{"EvaluatorUnknownFlag", "evaluator", {"--no_such_flag=1"}, 2, "no_such_flag"},
        Refusal{"EvaluatorCheckConfigBad",
                "evaluator",
                {"--check-config=$D/bad-evaluator.yaml"},
                1,
                "rules.note_length.free_limit: must be greater than 0"}),
    [](const ::testing::TestParamInfo<Refusal>& info) { return std::string(info.param.name); });

TEST_F(StartupTest, CheckConfigAcceptsTheDeployedConfig) {
  std::string output;
  EXPECT_EQ(
      Run("evaluator",
          {absl::StrCat("--check-config=", ETIQUETTE_SOURCE_DIR, "/deploy/config/evaluator.yaml")},
          &output),
      0)
      << output;
  EXPECT_NE(output.find(": OK, rules_version "), std::string::npos) << output;
}

}  // namespace
}  // namespace etiquette
