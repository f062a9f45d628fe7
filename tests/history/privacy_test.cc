// Erasure end to end (issue 13): History over a RedisHistoryStore on its own redis-server, with a
// real RecipientHasher. Several senders and recipients; after ForgetMember(M) no key or value in
// Redis holds M's id, its keyed hash, its short name (hex or bytes) or its log tag, no standing
// the service answers says anything about M as sender, recipient or reporter, the other members'
// standings are as the README documents ("Erasure": counts stay, anonymous), and a second call
// removes nothing.

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "history/config.h"
#include "history/history.h"
#include "history/recipient_hasher.h"
#include "history/redis_history_store.h"
#include "history/redis_scripts.h"
#include "history/rekey_pass.h"
#include "tests/support/await.h"
#include "tests/support/redis_fixture.h"

namespace etiquette::testing {
namespace {

constexpr char kSecret[] = "a-test-secret-of-32-bytes-long!";
constexpr char kNewSecret[] = "the-next-secret-of-32-bytes-long";
absl::Time T0() { return absl::FromUnixSeconds(1780315200); }  // 2026-06-01T12:00:00Z

class PrivacyTest : public RedisServerTest<> {
 protected:
  void SetUp() override {
    RedisServerTest::SetUp();
    if (HasFatalFailure()) return;
    config_ = DefaultHistoryConfig();
    store_ =
        std::make_unique<RedisHistoryStore>(Options(absl::Seconds(5)), StorePolicyFrom(config_));
    history_ = std::make_unique<History>(*store_, *RecipientHasher::Create(kSecret), config_,
                                         [this] { return now_; });
  }

  BlockingHistory Service() { return BlockingHistory(*history_); }

  // The service on the same store with other secrets (a key rotation: the first writes).
  void UseSecrets(std::vector<std::string> secrets) {
    history_ = std::make_unique<History>(*store_, *RecipientHasher::Create(std::move(secrets)),
                                         config_, [this] { return now_; });
  }

  void Invite(const std::string& sender, const std::string& invitation,
              const std::string& recipient) {
    v1::RecordInvitationRequest request;
    request.set_sender_id(sender);
    request.set_invitation_id(invitation);
    request.set_recipient_id(recipient);
    ASSERT_TRUE(Service().RecordInvitation(request).ok()) << invitation;
  }
  void Respond(const std::string& sender, const std::string& invitation,
               const std::string& recipient, v1::InvitationResponse response) {
    v1::RecordResponseRequest request;
    request.set_sender_id(sender);
    request.set_invitation_id(invitation);
    request.set_recipient_id(recipient);
    request.set_response(response);
    ASSERT_TRUE(Service().RecordResponse(request).ok()) << invitation;
  }
  v1::SenderStanding Standing(const std::string& sender, const std::string& recipient = "") {
    v1::GetStandingRequest request;
    request.set_sender_id(sender);
    request.set_recipient_id(recipient);
    absl::StatusOr<v1::GetStandingResponse> response = Service().GetStanding(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->standing() : v1::SenderStanding();
  }
  // An operator's release of `sender`, which the admin audit trail records with its id.
  void Release(const std::string& sender) {
    v1::ReleaseSenderRequest request;
    request.set_sender_id(sender);
    request.set_reason("appeal accepted");
    ASSERT_TRUE(Service().ReleaseSender(request).ok()) << sender;
  }
  uint64_t Forget(const std::string& member) {
    v1::ForgetMemberRequest request;
    request.set_member_id(member);
    request.set_reason("deletion request");
    absl::StatusOr<v1::ForgetMemberResponse> response = Service().Forget(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? response->records_removed() : 0;
  }

  // Everything Redis holds, as text: every key's name and its content (by type).
  std::string EverythingStored() {
    std::string all;
    std::string cursor = "0";
    do {
      absl::StatusOr<std::string> page = server().Command({"SCAN", cursor, "COUNT", "1000"});
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) return all;
      std::vector<std::string> lines = absl::StrSplit(*page, '\n');
      cursor = lines[0];
      for (size_t i = 1; i < lines.size(); ++i) {
        const std::string& key = lines[i];
        if (key.empty()) continue;
        absl::StrAppend(&all, "KEY ", key, "\n");
        const std::string type = *server().Command({"TYPE", key});
        std::vector<std::string> read;
        if (type == "hash") read = {"HGETALL", key};
        if (type == "zset") read = {"ZRANGE", key, "0", "-1", "WITHSCORES"};
        if (type == "set") read = {"SMEMBERS", key};
        if (type == "string") read = {"GET", key};
        if (type == "list") read = {"LRANGE", key, "0", "-1"};
        if (type == "stream") read = {"XRANGE", key, "-", "+"};
        EXPECT_FALSE(read.empty()) << key << " of type " << type;
        if (!read.empty()) absl::StrAppend(&all, *server().Command(read), "\n");
      }
    } while (cursor != "0");
    return all;
  }

  // What must not be found of `member` anywhere in `stored`: its id, and its keyed hash (the
  // key, its short name in hex and in bytes, the log tag) under `secret`.
  void ExpectNoTraceOf(const std::string& member, const std::string& stored,
                       const std::string& secret = kSecret, bool id_too = true) {
    const RecipientHasher hasher = *RecipientHasher::Create(secret);
    const std::string key = hasher.Key(member);
    const std::string short_hex = redis_scripts::ShortName(key);
    std::vector<std::string> traces = {key, short_hex, absl::HexStringToBytes(short_hex),
                                       hasher.LogTag(member)};
    if (id_too) traces.push_back(member);
    for (const std::string& trace : traces) {
      EXPECT_FALSE(absl::StrContains(stored, trace))
          << "found " << absl::CHexEscape(trace) << " of " << member << " (key id "
          << hasher.KeyIds()[0] << ")";
    }
  }

  // Every standing of `senders`, alone and with `recipient`, as text.
  std::string Standings(const std::vector<std::string>& senders, const std::string& recipient) {
    std::string all;
    for (const std::string& sender : senders) {
      absl::StrAppend(&all, sender, ": ", Standing(sender).ShortDebugString(), "\n");
      if (sender == recipient) continue;
      absl::StrAppend(&all, sender, " -> ", recipient, ": ",
                      Standing(sender, recipient).ShortDebugString(), "\n");
    }
    return all;
  }

  v1::HistoryConfig config_;
  absl::Time now_ = T0();
  std::unique_ptr<RedisHistoryStore> store_;
  std::unique_ptr<History> history_;
};

TEST_F(PrivacyTest, ForgetMemberLeavesNoTraceAsSenderRecipientOrReporter) {
  // m-forgotten sends (to r1, r2), receives from s1 (pending, withdrawn, reported as spam) and
  // from s2 (accepted), and reports s3 (who is restricted by five reports, m's among them).
  const std::string m = "m-forgotten";
  Invite(m, "inv-m-1", "m-r1");
  Invite(m, "inv-m-2", "m-r2");
  Respond(m, "inv-m-2", "m-r2", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN);
  Invite("m-s1", "inv-s1-1", m);
  Respond("m-s1", "inv-s1-1", m, v1::INVITATION_RESPONSE_WITHDRAWN);
  Invite("m-s1", "inv-s1-2", m);
  Invite("m-s1", "inv-s1-3", "m-r1");
  Invite("m-s2", "inv-s2-1", m);
  Respond("m-s2", "inv-s2-1", m, v1::INVITATION_RESPONSE_ACCEPTED);
  Invite("m-s3", "inv-s3-m", m);
  Respond("m-s3", "inv-s3-m", m, v1::INVITATION_RESPONSE_REPORTED_SPAM);
  for (int i = 0; i < 4; ++i) {
    const std::string r = absl::StrCat("m-rep", i);
    Invite("m-s3", absl::StrCat("inv-s3-", i), r);
    Respond("m-s3", absl::StrCat("inv-s3-", i), r, v1::INVITATION_RESPONSE_REPORTED_UNKNOWN);
  }
  ASSERT_EQ(Standing("m-s3").state(), v1::STANDING_STATE_RESTRICTED);
  // An operator released m once (the audit trail names m as the released sender) and m-s2.
  Release(m);
  Release("m-s2");
  ASSERT_TRUE(Standing("m-s1", m).pair().pending());
  ASSERT_TRUE(Standing("m-s3", m).pair().recipient_reported_sender());
  const v1::SenderStanding s1_before = Standing("m-s1");
  const v1::SenderStanding s2_before = Standing("m-s2");
  const v1::SenderStanding s3_before = Standing("m-s3");
  const v1::SenderStanding s3_r0_before = Standing("m-s3", "m-rep0");
  {
    // The check finds what it looks for: before, m is everywhere.
    const std::string before = EverythingStored();
    EXPECT_TRUE(absl::StrContains(before, m));
    const std::string short_hex =
        redis_scripts::ShortName(RecipientHasher::Create(kSecret)->Key(m));
    EXPECT_TRUE(absl::StrContains(before, absl::HexStringToBytes(short_hex)));
  }

  EXPECT_GT(Forget(m), 0u);

  ExpectNoTraceOf(m, EverythingStored());
  // No standing says anything about m: as a sender, nothing; as a recipient, nothing.
  const v1::SenderStanding own = Standing(m);
  EXPECT_EQ(own.invitations_last_7d(), 0u);
  EXPECT_EQ(own.reports_in_window(), 0u);
  EXPECT_EQ(own.state(), v1::STANDING_STATE_GOOD);
  for (const std::string sender : {"m-s1", "m-s2", "m-s3"}) {
    const v1::PairStanding pair = Standing(sender, m).pair();
    EXPECT_FALSE(pair.pending()) << sender;
    EXPECT_FALSE(pair.recipient_reported_sender()) << sender;
    EXPECT_FALSE(pair.has_reinvite_allowed_after()) << sender;
  }
  // The others' standings as documented: counts stay (anonymous), s3 stays restricted.
  const v1::SenderStanding s1 = Standing("m-s1");
  EXPECT_EQ(s1.invitations_last_7d(), s1_before.invitations_last_7d());
  EXPECT_EQ(Standing("m-s2").acceptance_rate(), s2_before.acceptance_rate());
  const v1::SenderStanding s3 = Standing("m-s3");
  EXPECT_EQ(s3.state(), v1::STANDING_STATE_RESTRICTED);
  EXPECT_EQ(s3.reports_in_window(), s3_before.reports_in_window());
  EXPECT_EQ(s3.spam_reports_in_window(), s3_before.spam_reports_in_window());
  EXPECT_EQ(Standing("m-s3", "m-rep0").pair().recipient_reported_sender(),
            s3_r0_before.pair().recipient_reported_sender());
  // Other pairs are untouched: s1 still has r1 pending.
  EXPECT_TRUE(Standing("m-s1", "m-r1").pair().pending());

  // Idempotent: nothing left to remove, still no trace.
  EXPECT_EQ(Forget(m), 0u);
  ExpectNoTraceOf(m, EverythingStored());
}

TEST_F(PrivacyTest, ForgetMemberKeepsOtherMembersTraces) {
  Invite("m-a", "inv-a-1", "m-b");
  Invite("m-c", "inv-c-1", "m-b");
  EXPECT_GT(Forget("m-c"), 0u);
  const std::string stored = EverythingStored();
  ExpectNoTraceOf("m-c", stored);
  EXPECT_TRUE(absl::StrContains(stored, "m-a"));  // in m-b's index and as a key
  EXPECT_TRUE(Standing("m-a", "m-b").pair().pending());
}

// Key rotation (docs/key-rotation.md), the test: records written under key A are found
// after adding key B (B first), moved by the pass, and found after removing A; nothing lost
// (counts, pending marks, reports, cool-downs, a restriction; small and big senders); then
// ForgetMember leaves nothing under either key.
TEST_F(PrivacyTest, KeyRotationPassMovesEverythingAndTheOldKeyCanGo) {
  const std::string m = "m-rotated";
  // Under A: s1 has m withdrawn and pending; s2 had m accept; m reported s3 (spam) with four
  // others (s3 is restricted); s4 is a big sender (past 48 fields) with m withdrawn and pending;
  // m itself invites r1.
  Invite("m-s1", "inv-s1-1", m);
  Respond("m-s1", "inv-s1-1", m, v1::INVITATION_RESPONSE_WITHDRAWN);
  Invite("m-s1", "inv-s1-2", m);
  Invite("m-s2", "inv-s2-1", m);
  Respond("m-s2", "inv-s2-1", m, v1::INVITATION_RESPONSE_ACCEPTED);
  Invite("m-s3", "inv-s3-m", m);
  Respond("m-s3", "inv-s3-m", m, v1::INVITATION_RESPONSE_REPORTED_SPAM);
  for (int i = 0; i < 4; ++i) {
    const std::string r = absl::StrCat("m-rep", i);
    Invite("m-s3", absl::StrCat("inv-s3-", i), r);
    Respond("m-s3", absl::StrCat("inv-s3-", i), r, v1::INVITATION_RESPONSE_REPORTED_UNKNOWN);
  }
  for (int i = 0; i < 60; ++i) Invite("m-s4", absl::StrCat("inv-s4-", i), absl::StrCat("m-x", i));
  Invite("m-s4", "inv-s4-m1", m);
  Respond("m-s4", "inv-s4-m1", m, v1::INVITATION_RESPONSE_WITHDRAWN);
  Invite("m-s4", "inv-s4-m2", m);
  Invite(m, "inv-m-1", "m-r1");
  const std::vector<std::string> senders = {"m-s1", "m-s2", "m-s3", "m-s4", m};
  const std::string before = Standings(senders, m);
  ASSERT_TRUE(Standing("m-s1", m).pair().pending());
  ASSERT_TRUE(Standing("m-s4", m).pair().has_reinvite_allowed_after());
  ASSERT_TRUE(Standing("m-s3", m).pair().recipient_reported_sender());
  ASSERT_EQ(Standing("m-s3").state(), v1::STANDING_STATE_RESTRICTED);
  const RecipientHasher a = *RecipientHasher::Create(kSecret);
  const RecipientHasher both =
      *RecipientHasher::Create(std::vector<std::string>{kNewSecret, kSecret});
  const std::string old_index = absl::StrCat("etq:{r:", a.KeyIds()[0], ":");
  ASSERT_TRUE(absl::StrContains(EverythingStored(), old_index)) << "the key id names the index";

  // B added, first: everything is found, nothing counted twice.
  UseSecrets({kNewSecret, kSecret});
  EXPECT_EQ(Standings(senders, m), before);

  // The pass, fed every member id (and a line that is not one).
  std::istringstream ids(absl::StrCat("# members\n", m, "\nm-r1\nnot an id\n"));
  absl::StatusOr<RekeyPassStats> stats = RunRekeyPass(*store_, both, ids);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->members, 2u);
  EXPECT_EQ(stats->skipped, 1u);
  EXPECT_EQ(stats->members_with_data, 2u);  // m at s1..s4, r1 at m
  EXPECT_EQ(stats->pairs_moved, 5u);
  // What is left under A is found by its key id: here the recipients not fed to the pass.
  EXPECT_TRUE(absl::StrContains(EverythingStored(), old_index));
  std::string rest;
  for (int i = 0; i < 4; ++i) absl::StrAppend(&rest, "m-rep", i, "\n");
  for (int i = 0; i < 60; ++i) absl::StrAppend(&rest, "m-x", i, "\n");
  std::istringstream rest_ids(rest);
  stats = RunRekeyPass(*store_, both, rest_ids);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->members_with_data, 64u);
  EXPECT_EQ(stats->pairs_moved, 64u);
  const std::string stored = EverythingStored();
  EXPECT_FALSE(absl::StrContains(stored, old_index)) << "an index is left under the old key";
  ExpectNoTraceOf(m, stored, kSecret, /*id_too=*/false);
  ExpectNoTraceOf("m-r1", stored, kSecret, /*id_too=*/false);
  EXPECT_EQ(Standings(senders, m), before);
  // Again: nothing left to move.
  std::istringstream again(absl::StrCat(m, "\nm-r1\n", rest));
  stats = RunRekeyPass(*store_, both, again);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->pairs_moved, 0u);

  // A removed: nothing lost.
  UseSecrets({kNewSecret});
  EXPECT_EQ(Standings(senders, m), before);
  EXPECT_TRUE(Standing(m, "m-r1").pair().pending());

  // ForgetMember: no trace of m, under either key.
  EXPECT_GT(Forget(m), 0u);
  const std::string after = EverythingStored();
  ExpectNoTraceOf(m, after, kNewSecret);
  ExpectNoTraceOf(m, after, kSecret);
  EXPECT_EQ(Standing("m-s3").state(), v1::STANDING_STATE_RESTRICTED);
}

// ForgetMember in the middle of a rotation (data under both keys: some moved by a write, some
// written by a replica still on A) erases the member under both.
TEST_F(PrivacyTest, ForgetMemberDuringARotationLeavesNothingUnderEitherKey) {
  const std::string m = "m-mid-rotation";
  Invite("m-s1", "inv-s1-1", m);
  Invite("m-s2", "inv-s2-1", m);
  Respond("m-s2", "inv-s2-1", m, v1::INVITATION_RESPONSE_REPORTED_UNKNOWN);
  UseSecrets({kNewSecret, kSecret});
  Respond("m-s1", "inv-s1-1", m, v1::INVITATION_RESPONSE_WITHDRAWN);  // moves s1's pair to B
  {
    // ... and s1 from m's index under A to m's index under B.
    const std::string under_a =
        RedisHistoryStore::IndexKeyOf(RecipientHasher::Create(kSecret)->Keys(m));
    const std::string under_b =
        RedisHistoryStore::IndexKeyOf(RecipientHasher::Create(kNewSecret)->Keys(m));
    EXPECT_EQ(*server().Command({"ZSCORE", under_a, "m-s1"}), "(nil)");
    EXPECT_NE(*server().Command({"ZSCORE", under_b, "m-s1"}), "(nil)");
    EXPECT_NE(*server().Command({"ZSCORE", under_a, "m-s2"}), "(nil)") << "s2 wrote nothing since";
  }
  UseSecrets({kSecret});  // a replica still on A
  Invite("m-s3", "inv-s3-1", m);
  UseSecrets({kNewSecret, kSecret});
  EXPECT_TRUE(Standing("m-s1", m).pair().has_reinvite_allowed_after());
  EXPECT_TRUE(Standing("m-s2", m).pair().recipient_reported_sender());
  EXPECT_TRUE(Standing("m-s3", m).pair().pending());
  EXPECT_GT(Forget(m), 0u);
  const std::string stored = EverythingStored();
  ExpectNoTraceOf(m, stored, kNewSecret);
  ExpectNoTraceOf(m, stored, kSecret);
  for (const std::string sender : {"m-s1", "m-s2", "m-s3"}) {
    const v1::PairStanding pair = Standing(sender, m).pair();
    EXPECT_FALSE(pair.pending() || pair.recipient_reported_sender() ||
                 pair.has_reinvite_allowed_after())
        << sender;
  }
  EXPECT_EQ(Standing("m-s2").reports_in_window(), 1u) << "counted still, anonymous";
}

}  // namespace
}  // namespace etiquette::testing
