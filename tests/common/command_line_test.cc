#include "common/command_line.h"

#include "gtest/gtest.h"

namespace etiquette {
namespace {

class CommandLineTest : public ::testing::Test {
 protected:
  CommandLineTest() {
    command_line_.AddString("listen", &listen_, "address");
    command_line_.AddString("check_config", &check_config_, "file");
    command_line_.AddInt("timeout_ms", &timeout_ms_, "ms");
    command_line_.AddBool("verbose", &verbose_, "more logs");
  }
  absl::Status Parse(std::vector<const char*> args) {
    args.insert(args.begin(), "program");
    return command_line_.Parse(static_cast<int>(args.size()), args.data());
  }

  CommandLine command_line_;
  std::string listen_ = "0.0.0.0:1";
  std::string check_config_;
  int timeout_ms_ = 100;
  bool verbose_ = false;
};

TEST_F(CommandLineTest, KeepsDefaultsWithoutArguments) {
  ASSERT_TRUE(Parse({}).ok());
  EXPECT_EQ(listen_, "0.0.0.0:1");
  EXPECT_EQ(timeout_ms_, 100);
}

TEST_F(CommandLineTest, AcceptsEqualsAndSeparateValues) {
  ASSERT_TRUE(Parse({"--listen=127.0.0.1:0", "--timeout_ms", "50", "--verbose"}).ok());
  EXPECT_EQ(listen_, "127.0.0.1:0");
  EXPECT_EQ(timeout_ms_, 50);
  EXPECT_TRUE(verbose_);
}

TEST_F(CommandLineTest, DashesAndUnderscoresAreTheSame) {
  ASSERT_TRUE(Parse({"--check-config=a.yaml", "--timeout-ms=7"}).ok());
  EXPECT_EQ(check_config_, "a.yaml");
  EXPECT_EQ(timeout_ms_, 7);
}

TEST_F(CommandLineTest, UnknownFlagIsAnError) {
  absl::Status status = Parse({"--lisen=x"});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "unknown flag --lisen");
}

TEST_F(CommandLineTest, BadIntegerIsAnError) {
  absl::Status status = Parse({"--timeout_ms=fast"});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "--timeout_ms: expected an integer, got \"fast\"");
}

TEST_F(CommandLineTest, MissingValueIsAnError) {
  EXPECT_EQ(Parse({"--listen"}).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CommandLineTest, PositionalArgumentIsAnError) {
  EXPECT_EQ(Parse({"serve"}).code(), absl::StatusCode::kInvalidArgument);
}

TEST(CommandLineEnvTest, EnvironmentSetsFlagsAndArgumentsWin) {
  CommandLine command_line("ETQTEST_");
  std::string listen = "default";
  int timeout_ms = 100;
  command_line.AddString("listen", &listen, "address");
  command_line.AddInt("redis_timeout_ms", &timeout_ms, "ms");
  EXPECT_EQ(command_line.EnvName("redis-timeout-ms"), "ETQTEST_REDIS_TIMEOUT_MS");
  setenv("ETQTEST_LISTEN", "127.0.0.1:7", 1);
  setenv("ETQTEST_REDIS_TIMEOUT_MS", "250", 1);
  const char* args[] = {"program", "--listen=127.0.0.1:8"};
  ASSERT_TRUE(command_line.Parse(2, args).ok());
  EXPECT_EQ(listen, "127.0.0.1:8");
  EXPECT_EQ(timeout_ms, 250);
  unsetenv("ETQTEST_LISTEN");
  unsetenv("ETQTEST_REDIS_TIMEOUT_MS");
}

TEST(CommandLineEnvTest, BadEnvironmentValueNamesTheVariable) {
  CommandLine command_line("ETQTEST_");
  int timeout_ms = 100;
  command_line.AddInt("timeout_ms", &timeout_ms, "ms");
  setenv("ETQTEST_TIMEOUT_MS", "soon", 1);
  const char* args[] = {"program"};
  absl::Status status = command_line.Parse(1, args);
  unsetenv("ETQTEST_TIMEOUT_MS");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "ETQTEST_TIMEOUT_MS: --timeout_ms: expected an integer, got \"soon\"");
}

TEST_F(CommandLineTest, HelpIsReported) {
  ASSERT_TRUE(Parse({"--help"}).ok());
  EXPECT_TRUE(command_line_.help_requested());
  EXPECT_NE(command_line_.Usage("program").find("--listen"), std::string::npos);
}

}  // namespace
}  // namespace etiquette
