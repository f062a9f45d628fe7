#include "history/in_memory_history_store.h"

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "etiquette/v1/history.pb.h"
#include "gtest/gtest.h"
#include "history/history_store_contract.h"
#include "tests/support/await.h"

namespace etiquette::testing {

INSTANTIATE_TEST_SUITE_P(InMemory, HistoryStoreContractTest,
                         ::testing::Values(StoreFactory([](const StorePolicy& p) {
                           return std::make_unique<InMemoryHistoryStore>(p);
                         })));

namespace {

// What only the in-memory store promises: pruning on writes instead of TTLs, and the policy
// it is given (the contract suite only runs the defaults).

absl::Time Base() { return absl::FromUnixSeconds(1780315200); }
absl::Duration Days(int64_t days) { return absl::Hours(24 * days); }

TEST(InMemoryHistoryStoreTest, AWritePrunesInvitationsOlderThanEveryWindow) {
  InMemoryHistoryStore in_memory{StorePolicy()};
  BlockingStore store(in_memory);
  ASSERT_TRUE(store.RecordInvitation("m-prune", "inv-1", "rk-1", Base(), Base()).ok());
  ASSERT_TRUE(store
                  .RecordInvitation("m-prune", "inv-2", "rk-2", Base() + absl::Milliseconds(1),
                                    Base() + absl::Milliseconds(1))
                  .ok());
  // 90 days (the longest window) after inv-1: a write prunes it, not inv-2.
  const absl::Time later = Base() + Days(90);
  absl::StatusOr<WriteResult> again =
      store.RecordInvitation("m-prune", "inv-1", "rk-1", Base(), later);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->duplicate);  // the id was forgotten with its invitation
  EXPECT_EQ(again->facts.invitations_in_volume_window, 0u);
  EXPECT_EQ(again->facts.sent_in_acceptance_window, 0u);
  absl::StatusOr<WriteResult> kept =
      store.RecordInvitation("m-prune", "inv-2", "rk-2", Base(), later);
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_TRUE(kept->duplicate);
}

TEST(InMemoryHistoryStoreTest, PruningDropsPendingMarksWithTheirInvitationAndKeepsReportedPairs) {
  InMemoryHistoryStore in_memory{StorePolicy()};
  BlockingStore store(in_memory);
  ASSERT_TRUE(store.RecordInvitation("m-keep", "inv-1", "rk-1", Base(), Base()).ok());
  ASSERT_TRUE(store.RecordInvitation("m-keep", "inv-2", "rk-2", Base(), Base()).ok());
  ASSERT_TRUE(store
                  .RecordResponse("m-keep", "inv-2", "rk-2", v1::INVITATION_RESPONSE_REPORTED_SPAM,
                                  Base(), Base())
                  .ok());
  const absl::Time later = Base() + Days(400);
  ASSERT_TRUE(store.RecordInvitation("m-keep", "inv-3", "rk-3", later, later).ok());

  absl::StatusOr<SenderFacts> pending = store.GetFacts("m-keep", "rk-1", later);
  ASSERT_TRUE(pending.ok());
  EXPECT_FALSE(pending->pending);  // its invitation was pruned, and its mark with it
  absl::StatusOr<SenderFacts> reported = store.GetFacts("m-keep", "rk-2", later);
  ASSERT_TRUE(reported.ok());
  EXPECT_TRUE(reported->recipient_reported_sender);

  // The answer to the pruned invitation is a response to an unknown id.
  absl::StatusOr<WriteResult> answer = store.RecordResponse(
      "m-keep", "inv-1", "rk-1", v1::INVITATION_RESPONSE_IGNORED, later, later);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_FALSE(answer->duplicate);
  EXPECT_FALSE(answer->facts.pending);
}

TEST(InMemoryHistoryStoreTest, AppliesTheGivenPolicy) {
  StorePolicy policy;
  policy.restrict_reports = 2;
  policy.report_window = Days(30);
  policy.restriction_ladder = {absl::Hours(1)};
  InMemoryHistoryStore in_memory(policy);
  BlockingStore store(in_memory);
  const std::string s = "m-policy";
  for (int i = 1; i <= 2; ++i) {
    const std::string id = "inv-" + std::to_string(i);
    const std::string rk = "rk-" + std::to_string(i);
    ASSERT_TRUE(store.RecordInvitation(s, id, rk, Base(), Base()).ok());
    absl::StatusOr<WriteResult> report =
        store.RecordResponse(s, id, rk, v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, Base(), Base());
    ASSERT_TRUE(report.ok()) << report.status();
    EXPECT_EQ(report->restriction_started, i == 2);
  }
  absl::StatusOr<SenderFacts> facts = store.GetFacts(s, "", Base());
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->offense_count, 1u);
  EXPECT_EQ(facts->restriction_end, Base() + absl::Hours(1));
  EXPECT_EQ(facts->reason, "2 reports in 30 days");

  // Beyond a one-entry ladder the second restriction is already indefinite.
  const absl::Time later = Base() + Days(1);
  for (int i = 3; i <= 4; ++i) {
    const std::string id = "inv-" + std::to_string(i);
    const std::string rk = "rk-" + std::to_string(i);
    ASSERT_TRUE(store.RecordInvitation(s, id, rk, later, later).ok());
    ASSERT_TRUE(
        store.RecordResponse(s, id, rk, v1::INVITATION_RESPONSE_REPORTED_SPAM, later, later).ok());
  }
  facts = store.GetFacts(s, "", later);
  ASSERT_TRUE(facts.ok());
  EXPECT_EQ(facts->offense_count, 2u);
  EXPECT_EQ(facts->restriction_start, later);
  EXPECT_EQ(facts->restriction_end, absl::InfiniteFuture());
}

TEST(InMemoryHistoryStoreTest, ReleaseOfAnUnknownSenderRecordsTheReason) {
  InMemoryHistoryStore in_memory{StorePolicy()};
  BlockingStore store(in_memory);
  absl::StatusOr<SenderFacts> released = store.Release("m-nobody", "pre-emptive", Base());
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(released->reason, "pre-emptive");
  EXPECT_EQ(released->offense_count, 0u);
  EXPECT_EQ(released->restriction_end, absl::InfinitePast());
}

TEST(InMemoryHistoryStoreTest, AnswersOnTheCallingThreadBeforeReturning) {
  InMemoryHistoryStore store{StorePolicy()};
  int answered = 0;
  store.RecordInvitation("m-inline", "inv-1", "rk-1", Base(), Base(), absl::InfiniteFuture(),
                         [&](absl::StatusOr<WriteResult> result) {
                           EXPECT_TRUE(result.ok()) << result.status();
                           ++answered;
                         });
  store.GetFacts("m-inline", "rk-1", Base(), absl::InfiniteFuture(),
                 [&](absl::StatusOr<SenderFacts> facts) {
                   ASSERT_TRUE(facts.ok()) << facts.status();
                   EXPECT_TRUE(facts->pending);
                   ++answered;
                 });
  store.Forget("m-inline", "", absl::InfiniteFuture(), [&](absl::StatusOr<uint64_t> removed) {
    EXPECT_TRUE(removed.ok()) << removed.status();
    ++answered;
  });
  EXPECT_EQ(answered, 3);
}

}  // namespace
}  // namespace etiquette::testing
