#include "history/admin_auth.h"

#include "gtest/gtest.h"

namespace etiquette {
namespace {

const std::optional<std::string> kToken = "s3cret-token";

TEST(AdminAuthTest, RightTokenIsAccepted) {
  EXPECT_TRUE(CheckAdminAuthorization(kToken, absl::string_view("Bearer s3cret-token")).ok());
  EXPECT_TRUE(CheckAdminAuthorization(kToken, absl::string_view("bearer  s3cret-token ")).ok());
}

TEST(AdminAuthTest, MissingHeaderIsUnauthenticated) {
  EXPECT_EQ(CheckAdminAuthorization(kToken, std::nullopt).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(AdminAuthTest, WrongTokenIsUnauthenticated) {
  EXPECT_EQ(CheckAdminAuthorization(kToken, absl::string_view("Bearer s3cret-tokem")).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CheckAdminAuthorization(kToken, absl::string_view("Bearer s3cret")).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CheckAdminAuthorization(kToken, absl::string_view("Bearer ")).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(AdminAuthTest, OtherSchemeIsUnauthenticated) {
  EXPECT_EQ(CheckAdminAuthorization(kToken, absl::string_view("Basic s3cret-token")).code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(CheckAdminAuthorization(kToken, absl::string_view("s3cret-token")).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(AdminAuthTest, NoConfiguredTokenIsPermissionDenied) {
  EXPECT_EQ(CheckAdminAuthorization(std::nullopt, absl::string_view("Bearer x")).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckAdminAuthorization(std::nullopt, std::nullopt).code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace etiquette
