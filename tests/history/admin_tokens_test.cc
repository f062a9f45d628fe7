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
  absl::StatusOr<std::vector<std::string>> tokens = ParseAdminTokens(
      "  old-token-0123456789-abcdefghijklmnop \r\n\n\tnew-token-0123456789-abcdefghijklmnop\n\n");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_THAT(*tokens, ElementsAre("old-token-0123456789-abcdefghijklmnop",
                                   "new-token-0123456789-abcdefghijklmnop"));
  EXPECT_THAT(*ParseAdminTokens("single-0123456789-abcdefghijklmnop"),
              ElementsAre("single-0123456789-abcdefghijklmnop"));
}

TEST(ParseAdminTokensTest, NoTokenIsInvalidArgument) {
  EXPECT_EQ(ParseAdminTokens("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseAdminTokens(" \n\t\r\n").status().code(), absl::StatusCode::kInvalidArgument);
}

// The strength rule: at least 32 bytes and 10 distinct byte values; messages never quote the
// token.
TEST(ParseAdminTokensTest, ShortOrLowVarietyTokensAreRefusedNamingTheLine) {
  const std::string strong = "0123456789abcdef0123456789abcdef";  // 32 bytes, 16 distinct
  EXPECT_TRUE(ParseAdminTokens(strong).ok());
  EXPECT_TRUE(CheckAdminTokenStrength(strong).ok());
  const std::string short_token = strong.substr(1);  // 31 bytes
  absl::StatusOr<std::vector<std::string>> parsed = ParseAdminTokens(strong + "\n" + short_token);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().message(), "line 2: an admin token must be at least 32 bytes");
  for (const std::string& weak : {std::string(32, 'a'), std::string(64, 'x'),
                                  std::string("abcdefghi") + std::string(40, 'a'),  // 9 distinct
                                  std::string("abababababababababababababababababab")}) {
    absl::StatusOr<std::vector<std::string>> refused = ParseAdminTokens(weak);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << weak;
    EXPECT_EQ(refused.status().message().find(weak), absl::string_view::npos);
  }
  EXPECT_TRUE(ParseAdminTokens(std::string("abcdefghij") + std::string(40, 'a')).ok());  // 10
}

TEST(AdminAuthorizationTest, RefusalsCarryTheirReason) {
  const std::vector<AdminTokenDigest> tokens = {
      DigestAdminToken("right-token-0123456789-abcdefghijklmnop")};
  EXPECT_EQ(AdminRefusalReason(CheckAdminAuthorization(tokens, std::nullopt)), "missing_token");
  EXPECT_EQ(AdminRefusalReason(CheckAdminAuthorization(tokens, absl::string_view("Basic x"))),
            "missing_token");
  EXPECT_EQ(AdminRefusalReason(CheckAdminAuthorization(tokens, absl::string_view("Bearer x"))),
            "wrong_token");
  EXPECT_EQ(AdminRefusalReason(CheckAdminAuthorization(std::vector<AdminTokenDigest>{},
                                                       absl::string_view("Bearer x"))),
            "disabled");
  EXPECT_EQ(AdminRefusalReason(absl::UnavailableError("x")), "other");
}

TEST(AdminAuthorizationTest, AnyListedTokenIsAcceptedOthersAreNot) {
  const std::vector<AdminTokenDigest> tokens = {
      DigestAdminToken("old-token-0123456789-abcdefghijklmnop"),
      DigestAdminToken("new-token-0123456789-abcdefghijklmnop")};
  EXPECT_TRUE(CheckAdminAuthorization(
                  tokens, absl::string_view("Bearer old-token-0123456789-abcdefghijklmnop"))
                  .ok());
  EXPECT_TRUE(CheckAdminAuthorization(
                  tokens, absl::string_view("Bearer new-token-0123456789-abcdefghijklmnop"))
                  .ok());
  EXPECT_EQ(CheckAdminAuthorization(
                tokens, absl::string_view("Bearer new-token-0123456789-abcdefghijklmnoq"))
                .code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CheckAdminAuthorization(tokens, absl::string_view("Bearer ")).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CheckAdminAuthorization(tokens, std::nullopt).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CheckAdminAuthorization(std::vector<AdminTokenDigest>{}, absl::string_view("Bearer x"))
                .code(),
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
  Mount("v1", "old-token-0123456789-abcdefghijklmnop\n");
  absl::StatusOr<std::shared_ptr<AdminTokens>> tokens = AdminTokens::Open(dir_ + "/token");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_TRUE(Check(**tokens, "old-token-0123456789-abcdefghijklmnop").ok());
  EXPECT_EQ(Check(**tokens, "new-token-0123456789-abcdefghijklmnop").code(),
            absl::StatusCode::kUnauthenticated);

  Mount(
      "v2",
      "old-token-0123456789-abcdefghijklmnop\nnew-token-0123456789-abcdefghijklmnop\n");  // the
                                                                                          // rotation:
                                                                                          // both
                                                                                          // listed
  EXPECT_TRUE(Check(**tokens, "old-token-0123456789-abcdefghijklmnop").ok());
  EXPECT_TRUE(Check(**tokens, "new-token-0123456789-abcdefghijklmnop").ok());

  Mount("v3", "new-token-0123456789-abcdefghijklmnop\n");  // the old one retired
  EXPECT_EQ(Check(**tokens, "old-token-0123456789-abcdefghijklmnop").code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(Check(**tokens, "new-token-0123456789-abcdefghijklmnop").ok());
}

TEST_F(AdminTokenFileTest, InPlaceRewriteIsSeen) {
  const std::string path = dir_ + "/plain";
  std::ofstream(path) << "first-token-0123456789-abcdefghijklmnop\n";
  absl::StatusOr<std::shared_ptr<AdminTokens>> tokens = AdminTokens::Open(path);
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_THAT((*tokens)->Current(),
              ElementsAre(DigestAdminToken("first-token-0123456789-abcdefghijklmnop")));
  // Same size, written in place: the modification or change time (nanoseconds) differs.
  std::ofstream(path, std::ios::trunc) << "other-token-0123456789-abcdefghijklmnop\n";
  EXPECT_THAT((*tokens)->Current(),
              ElementsAre(DigestAdminToken("other-token-0123456789-abcdefghijklmnop")));
}

TEST_F(AdminTokenFileTest, BrokenFileKeepsTheLastTokensUntilItIsFixed) {
  Mount("v1", "kept-token-0123456789-abcdefghijklmnop\n");
  absl::StatusOr<std::shared_ptr<AdminTokens>> tokens = AdminTokens::Open(dir_ + "/token");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  Mount("v2", "\n\n");  // empty
  EXPECT_THAT((*tokens)->Current(),
              ElementsAre(DigestAdminToken("kept-token-0123456789-abcdefghijklmnop")));
  std::filesystem::remove(dir_ + "/v2/token");  // unreadable
  EXPECT_THAT((*tokens)->Current(),
              ElementsAre(DigestAdminToken("kept-token-0123456789-abcdefghijklmnop")));
  Mount("v3", "fixed-token-0123456789-abcdefghijklmnop\n");
  EXPECT_THAT((*tokens)->Current(),
              ElementsAre(DigestAdminToken("fixed-token-0123456789-abcdefghijklmnop")));
}

TEST_F(AdminTokenFileTest, OpenRefusesMissingAndEmptyFiles) {
  EXPECT_EQ(AdminTokens::Open(dir_ + "/missing").status().code(), absl::StatusCode::kNotFound);
  std::ofstream(dir_ + "/empty") << " \n";
  EXPECT_EQ(AdminTokens::Open(dir_ + "/empty").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AdminTokensTest, FixedTokensNeverChange) {
  std::shared_ptr<AdminTokens> tokens = AdminTokens::Fixed({"a-token-0123456789-abcdefghijklmnop"});
  EXPECT_TRUE(tokens->Check(absl::string_view("Bearer a-token-0123456789-abcdefghijklmnop")).ok());
  EXPECT_EQ(tokens->Check(absl::string_view("Bearer b-token-0123456789-abcdefghijklmnop")).code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace etiquette
