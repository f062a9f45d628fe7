#include "history/recipient_hasher.h"

#include "gtest/gtest.h"

namespace etiquette {
namespace {

TEST(RecipientHasherTest, KeysAreStableShortAndNotTheId) {
  absl::StatusOr<RecipientHasher> hasher = RecipientHasher::Create("0123456789abcdef-secret");
  ASSERT_TRUE(hasher.ok());
  const std::string key = hasher->Key("member-42");
  EXPECT_EQ(key, hasher->Key("member-42"));
  EXPECT_EQ(key.size(), 22u);
  EXPECT_EQ(key.find("member"), std::string::npos);
  EXPECT_NE(key, hasher->Key("member-43"));
}

TEST(RecipientHasherTest, KnownVectorMatchesHmacSha256) {
  // HMAC-SHA256(key="0123456789abcdef", "m1"), first 16 bytes, base64url, computed with
  // `printf m1 | openssl dgst -sha256 -hmac 0123456789abcdef -binary | head -c16 | basenc
  // --base64url`, without the "==" padding.
  absl::StatusOr<RecipientHasher> hasher = RecipientHasher::Create("0123456789abcdef");
  ASSERT_TRUE(hasher.ok());
  EXPECT_EQ(hasher->Key("m1"), "7ChWrE_5FgiijGRLrOnNkg");
}

TEST(RecipientHasherTest, DifferentSecretsGiveDifferentKeys) {
  absl::StatusOr<RecipientHasher> a = RecipientHasher::Create("0123456789abcdef-a");
  absl::StatusOr<RecipientHasher> b = RecipientHasher::Create("0123456789abcdef-b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->Key("member-42"), b->Key("member-42"));
}

TEST(RecipientHasherTest, ShortSecretIsRefused) {
  EXPECT_EQ(RecipientHasher::Create("short").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace etiquette
