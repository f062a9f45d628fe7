// The admin token file: one token per line, read again when it changes (a Kubernetes ..data
// symlink swap included), any listed token accepted, the last good tokens kept when the file
// breaks.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "history/admin_auth.h"

namespace etiquette {
namespace {

using ::testing::ElementsAre;

TEST(ParseAdminTokensTest, OneTokenPerLineTrimmedBlankLinesSkipped) {
  absl::StatusOr<std::vector<std::string>> tokens =
      ParseAdminTokens("  old-token \r\n\n\tnew-token\n\n");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_THAT(*tokens, ElementsAre("old-token", "new-token"));
  EXPECT_THAT(*ParseAdminTokens("single"), ElementsAre("single"));
}

TEST(ParseAdminTokensTest, NoTokenIsInvalidArgument) {
  EXPECT_EQ(ParseAdminTokens("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseAdminTokens(" \n\t\r\n").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AdminAuthorizationTest, AnyListedTokenIsAcceptedOthersAreNot) {
  const std::vector<std::string> tokens = {"old-token", "new-token"};
  EXPECT_TRUE(CheckAdminAuthorization(tokens, absl::string_view("Bearer old-token")).ok());
  EXPECT_TRUE(CheckAdminAuthorization(tokens, absl::string_view("Bearer new-token")).ok());
  EXPECT_EQ(CheckAdminAuthorization(tokens, absl::string_view("Bearer new-tokem")).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CheckAdminAuthorization(tokens, absl::string_view("Bearer ")).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CheckAdminAuthorization(tokens, std::nullopt).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(
      CheckAdminAuthorization(std::vector<std::string>{}, absl::string_view("Bearer x")).code(),
      absl::StatusCode::kPermissionDenied);
}

class AdminTokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/etiquette-admin-tokens-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The layout of a mounted Secret: dir/token -> ..data/token, ..data -> the version's dir.
  void Mount(const std::string& version, const std::string& content) {
    std::filesystem::create_directories(dir_ + "/" + version);
    std::ofstream(dir_ + "/" + version + "/token") << content;
    std::filesystem::create_directory_symlink(version, dir_ + "/..data_tmp");
    std::filesystem::rename(dir_ + "/..data_tmp", dir_ + "/..data");
    if (!std::filesystem::is_symlink(dir_ + "/token")) {
      std::filesystem::create_symlink("..data/token", dir_ + "/token");
    }
  }
  absl::Status Check(AdminTokens& tokens, const std::string& token) {
    return tokens.Check(absl::string_view("Bearer " + token));
  }

  std::string dir_;
};

TEST_F(AdminTokenFileTest, SymlinkSwapIsSeenAtTheNextCall) {
  Mount("v1", "old-token\n");
  absl::StatusOr<std::shared_ptr<AdminTokens>> tokens = AdminTokens::Open(dir_ + "/token");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_TRUE(Check(**tokens, "old-token").ok());
  EXPECT_EQ(Check(**tokens, "new-token").code(), absl::StatusCode::kUnauthenticated);

  Mount("v2", "old-token\nnew-token\n");  // the rotation: both listed
  EXPECT_TRUE(Check(**tokens, "old-token").ok());
  EXPECT_TRUE(Check(**tokens, "new-token").ok());

  Mount("v3", "new-token\n");  // the old one retired
  EXPECT_EQ(Check(**tokens, "old-token").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(Check(**tokens, "new-token").ok());
}

TEST_F(AdminTokenFileTest, InPlaceRewriteIsSeen) {
  const std::string path = dir_ + "/plain";
  std::ofstream(path) << "first-token\n";
  absl::StatusOr<std::shared_ptr<AdminTokens>> tokens = AdminTokens::Open(path);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_THAT((*tokens)->Current(), ElementsAre("first-token"));
  // Same size, written in place: the modification or change time (nanoseconds) differs.
  std::ofstream(path, std::ios::trunc) << "other-token\n";
  EXPECT_THAT((*tokens)->Current(), ElementsAre("other-token"));
}

TEST_F(AdminTokenFileTest, BrokenFileKeepsTheLastTokensUntilItIsFixed) {
  Mount("v1", "kept-token\n");
  absl::StatusOr<std::shared_ptr<AdminTokens>> tokens = AdminTokens::Open(dir_ + "/token");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  Mount("v2", "\n\n");  // empty
  EXPECT_THAT((*tokens)->Current(), ElementsAre("kept-token"));
  std::filesystem::remove(dir_ + "/v2/token");  // unreadable
  EXPECT_THAT((*tokens)->Current(), ElementsAre("kept-token"));
  Mount("v3", "fixed-token\n");
  EXPECT_THAT((*tokens)->Current(), ElementsAre("fixed-token"));
}

TEST_F(AdminTokenFileTest, OpenRefusesMissingAndEmptyFiles) {
  EXPECT_EQ(AdminTokens::Open(dir_ + "/missing").status().code(), absl::StatusCode::kNotFound);
  std::ofstream(dir_ + "/empty") << " \n";
  EXPECT_EQ(AdminTokens::Open(dir_ + "/empty").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AdminTokensTest, FixedTokensNeverChange) {
  std::shared_ptr<AdminTokens> tokens = AdminTokens::Fixed({"a-token"});
  EXPECT_TRUE(tokens->Check(absl::string_view("Bearer a-token")).ok());
  EXPECT_EQ(tokens->Check(absl::string_view("Bearer b-token")).code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace etiquette
