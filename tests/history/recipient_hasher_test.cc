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

// Key rotation (docs/key-rotation.md).

TEST(RecipientHasherTest, KeyIdsComeFromTheSecretsThemselves) {
  absl::StatusOr<RecipientHasher> a = RecipientHasher::Create("0123456789abcdef-a");
  absl::StatusOr<RecipientHasher> again = RecipientHasher::Create("0123456789abcdef-a");
  absl::StatusOr<RecipientHasher> b = RecipientHasher::Create("0123456789abcdef-b");
  ASSERT_TRUE(a.ok() && again.ok() && b.ok());
  ASSERT_EQ(a->KeyIds().size(), 1u);
  EXPECT_EQ(a->KeyIds()[0].size(), 2u);
  EXPECT_EQ(a->KeyIds()[0].find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(a->KeyIds(), again->KeyIds());
  EXPECT_NE(a->KeyIds(), b->KeyIds());
  // Known vector: `printf 'key id' | openssl dgst -sha256 -hmac 0123456789abcdef`, 2 digits.
  EXPECT_EQ(RecipientHasher::Create("0123456789abcdef")->KeyIds()[0], "04");
}

TEST(RecipientHasherTest, FirstSecretWritesEveryOneReads) {
  absl::StatusOr<RecipientHasher> a = RecipientHasher::Create("0123456789abcdef-a");
  absl::StatusOr<RecipientHasher> b = RecipientHasher::Create("0123456789abcdef-b");
  absl::StatusOr<RecipientHasher> both = RecipientHasher::FromFileContent(
      "\n  0123456789abcdef-b  \n# the old one:\n0123456789abcdef-a\n");
  ASSERT_TRUE(a.ok() && b.ok() && both.ok()) << both.status();
  EXPECT_EQ(both->Key("m1"), b->Key("m1"));
  EXPECT_EQ(both->LogTag("m1"), b->LogTag("m1"));
  const RecipientKeys keys = both->Keys("m1");
  ASSERT_EQ(keys.all.size(), 2u);
  EXPECT_EQ(keys.first(), b->Key("m1"));
  EXPECT_EQ(keys.all[0].key_id, b->KeyIds()[0]);
  EXPECT_EQ(keys.all[1].key, a->Key("m1"));
  EXPECT_EQ(keys.all[1].key_id, a->KeyIds()[0]);
  EXPECT_EQ(both->KeyIds(), (std::vector<std::string>{b->KeyIds()[0], a->KeyIds()[0]}));
}

TEST(RecipientHasherTest, BadSecretFilesAreRefused) {
  EXPECT_EQ(RecipientHasher::FromFileContent("\n# nothing\n").status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status short_second =
      RecipientHasher::FromFileContent("0123456789abcdef-a\nshort\n").status();
  EXPECT_EQ(short_second.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(short_second.message().find("secret 2"), std::string::npos) << short_second;
  EXPECT_EQ(short_second.message().find("short"), std::string::npos) << "the secret is not echoed";
  absl::Status twice =
      RecipientHasher::FromFileContent("0123456789abcdef-a\n0123456789abcdef-a\n").status();
  EXPECT_EQ(twice.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(twice.message().find("the same"), std::string::npos) << twice;
}

}  // namespace
}  // namespace etiquette
