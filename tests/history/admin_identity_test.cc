// --admin_allowed_identities (history/admin_identity.h): parsing, URI and DNS SAN matching.
#include "history/admin_identity.h"

#include "gtest/gtest.h"
#include "history/admin_auth.h"

namespace etiquette {
namespace {

constexpr char kOperator[] = "spiffe://cluster.local/ns/etiquette-ops/sa/etiquette-operator";

AllowedIdentities Allowed(absl::string_view list) {
  absl::StatusOr<AllowedIdentities> allowed = AllowedIdentities::Parse(list);
  EXPECT_TRUE(allowed.ok()) << allowed.status();
  return allowed.ok() ? *allowed : AllowedIdentities();
}

TEST(AllowedIdentitiesTest, EmptyListChecksNothing) {
  EXPECT_TRUE(Allowed("").empty());
  EXPECT_TRUE(Allowed("  ").empty());
  EXPECT_TRUE(Allowed("").Check(PeerIdentity{}).ok());
}

TEST(AllowedIdentitiesTest, UriSanMatchesExactly) {
  const AllowedIdentities allowed = Allowed(std::string(" ") + kOperator + " , ops.example.com");
  EXPECT_FALSE(allowed.empty());
  EXPECT_TRUE(allowed.Check(PeerIdentity{{kOperator}, {}}).ok());
  EXPECT_TRUE(allowed.Check(PeerIdentity{{"spiffe://other", kOperator}, {"x.example"}}).ok());
  for (const std::string& other :
       {std::string(kOperator) + "-2",
        std::string("SPIFFE://cluster.local/ns/etiquette-ops/sa/"
                    "etiquette-operator"),
        std::string("spiffe://cluster.local/ns/etiquette-ops/sa/etiquette-operato")}) {
    const absl::Status refused = allowed.Check(PeerIdentity{{other}, {}});
    EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied) << other;
    EXPECT_EQ(AdminRefusalReason(refused), "identity");
  }
  // A URI entry is not matched by a DNS SAN of the same text, nor the reverse.
  EXPECT_EQ(allowed.Check(PeerIdentity{{}, {kOperator}}).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(allowed.Check(PeerIdentity{{"ops.example.com"}, {}}).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(AllowedIdentitiesTest, DnsSanMatchesIgnoringCaseWithoutWildcards) {
  const AllowedIdentities allowed = Allowed("Ops.Example.com");
  EXPECT_TRUE(allowed.Check(PeerIdentity{{}, {"ops.example.COM"}}).ok());
  EXPECT_EQ(allowed.Check(PeerIdentity{{}, {"evil.ops.example.com"}}).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(allowed.Check(PeerIdentity{{}, {"*.example.com"}}).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(AllowedIdentitiesTest, NoSanAtAllIsPermissionDenied) {
  const absl::Status refused = Allowed(kOperator).Check(PeerIdentity{});
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(AdminRefusalReason(refused), "identity");
  EXPECT_NE(refused.message().find("client certificate"), absl::string_view::npos);
}

TEST(AllowedIdentitiesTest, BadListsAreRefused) {
  for (const char* bad :
       {"a.example,,b.example", "a.example,", "*.example.com", "spiffe://x/y z", ","}) {
    EXPECT_EQ(AllowedIdentities::Parse(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace etiquette
