#pragma once

// The contract of HistoryStore (history/history_store.h), as one parameterized suite run
// against every implementation: this fixture, and the tests in history_store_contract.cc,
// compiled once (the object library etiquette_store_contract). A test binary links that
// library and instantiates the suite once per store:
//
//   INSTANTIATE_TEST_SUITE_P(InMemory, HistoryStoreContractTest,
//                            ::testing::Values(StoreFactory([](const StorePolicy& p) {
//                              return std::make_unique<InMemoryHistoryStore>(p);
//                            })));
//
// The suite assumes nothing an implementation may do on its own: no TTL expiry, no sleeping.
// Time is only ever the explicit `now` of each call, starting at a fixed base and moving
// forward by arithmetic (whole milliseconds), and each test's writes go forward in time. Every
// test uses its own sender ids, so a backend shared between tests cannot mix them up.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "etiquette/v1/history.pb.h"
#include "gtest/gtest.h"
#include "history/history_store.h"
#include "tests/support/await.h"

namespace etiquette::testing {

using StoreFactory = std::function<std::unique_ptr<HistoryStore>(const StorePolicy&)>;

class HistoryStoreContractTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  // 2026-06-01T12:00:00Z.
  static absl::Time T0() { return absl::FromUnixSeconds(1780315200); }
  static absl::Duration Days(int64_t days) { return absl::Hours(24 * days); }
  static constexpr absl::Duration kMs = absl::Milliseconds(1);

  void SetUp() override {
    store_ = GetParam()(policy_);
    ASSERT_NE(store_, nullptr);
  }

  // Applies `policy` to the store (SetPolicy) and to policy().
  void UsePolicy(const StorePolicy& policy) {
    policy_ = policy;
    store_->SetPolicy(policy);
  }

  // The store's calls, each waiting for its result (tests/support/await.h).
  BlockingStore store() { return BlockingStore(*store_); }
  const StorePolicy& policy() const { return policy_; }

  // The restriction of `facts` is active at `now` (start <= now < end).
  static bool Restricted(const SenderFacts& facts, absl::Time now) {
    return facts.restriction_start <= now && now < facts.restriction_end;
  }

  // The helpers below fail the test (and return a default) when the store answers an error.

  WriteResult Invite(const std::string& sender, const std::string& invitation,
                     const RecipientKeys& recipient, absl::Time sent_at, absl::Time now) {
    return ValueOrFail(store().RecordInvitation(sender, invitation, recipient, sent_at, now),
                       "RecordInvitation " + invitation);
  }

  WriteResult Respond(const std::string& sender, const std::string& invitation,
                      const RecipientKeys& recipient, v1::InvitationResponse response,
                      absl::Time responded_at, absl::Time now) {
    return ValueOrFail(
        store().RecordResponse(sender, invitation, recipient, response, responded_at, now),
        "RecordResponse " + invitation);
  }

  SenderFacts Facts(const std::string& sender, const RecipientKeys& recipient, absl::Time now) {
    return ValueOrFail(store().GetFacts(sender, recipient, now), "GetFacts " + sender);
  }

  // RecordInvitation with a note fingerprint.
  WriteResult InviteWithNote(const std::string& sender, const std::string& invitation,
                             const RecipientKeys& recipient, uint64_t note_fingerprint,
                             absl::Time sent_at, absl::Time now) {
    return ValueOrFail(Await<WriteResult>([&](StoreDone<WriteResult> done) {
                         store_->RecordInvitation(sender, invitation, recipient, sent_at,
                                                  note_fingerprint, now, absl::InfiniteFuture(),
                                                  std::move(done));
                       }),
                       "RecordInvitation " + invitation);
  }

  // GetFacts(FactsQuery) with a note fingerprint: near_identical_notes.
  uint32_t NearNotes(const std::string& sender, uint64_t note_fingerprint, absl::Time now) {
    return ValueOrFail(Await<SenderFacts>([&](StoreDone<SenderFacts> done) {
                         store_->GetFacts(FactsQuery{sender, RecipientKeys(), note_fingerprint},
                                          now, absl::InfiniteFuture(), std::move(done));
                       }),
                       "GetFacts " + sender)
        .near_identical_notes;
  }

  SenderFacts ReleaseAt(const std::string& sender, const std::string& reason, absl::Time now) {
    return ValueOrFail(store().Release(sender, reason, now), "Release " + sender);
  }

  // Recipient "rk-<n>" of `sender` gets invitation "<sender>-inv-<n>" an hour before `at` and
  // answers it with `response` at `at` (both written at now = `at`). Returns the response's
  // write.
  WriteResult InviteAndRespond(const std::string& sender, int n, v1::InvitationResponse response,
                               absl::Time at) {
    const std::string invitation = absl::StrCat(sender, "-inv-", n);
    const std::string recipient = absl::StrCat("rk-", n);
    Invite(sender, invitation, recipient, at - absl::Hours(1), at);
    return Respond(sender, invitation, recipient, response, at, at);
  }

  // Distinct recipients rk-<first> .. rk-<first + count - 1> each report `sender` ("I don't
  // know this person"), one per minute from `at` on. Returns the last write.
  WriteResult ReportMany(const std::string& sender, int first, int count, absl::Time at) {
    WriteResult last;
    for (int i = 0; i < count; ++i) {
      last = InviteAndRespond(sender, first + i, v1::INVITATION_RESPONSE_REPORTED_UNKNOWN,
                              at + absl::Minutes(i));
    }
    return last;
  }

  // Starts a restriction at exactly `at`: four reports in the four minutes before, the fifth
  // at `at`. Recipients rk-<first> .. rk-<first + 4>.
  WriteResult RestrictAt(const std::string& sender, int first, absl::Time at) {
    ReportMany(sender, first, 4, at - absl::Minutes(4));
    WriteResult fifth =
        InviteAndRespond(sender, first + 4, v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, at);
    EXPECT_TRUE(fifth.restriction_started) << "no restriction started at " << at;
    return fifth;
  }

  // A recipient's keys during a key rotation (RecipientHasher::Keys): {key id, key} each, the
  // writing key first.
  static RecipientKeys Keys(std::vector<RecipientKeys::Hashed> keys) {
    return RecipientKeys(std::move(keys));
  }

  static void ExpectNothingKnown(const SenderFacts& facts) {
    EXPECT_EQ(facts.reports_in_window, 0u);
    EXPECT_EQ(facts.spam_reports_in_window, 0u);
    EXPECT_EQ(facts.invitations_in_volume_window, 0u);
    EXPECT_EQ(facts.sent_in_acceptance_window, 0u);
    EXPECT_EQ(facts.accepted_in_acceptance_window, 0u);
    EXPECT_EQ(facts.offense_count, 0u);
    EXPECT_EQ(facts.restriction_start, absl::InfinitePast());
    EXPECT_EQ(facts.restriction_end, absl::InfinitePast());
    EXPECT_EQ(facts.reason, "");
    EXPECT_FALSE(facts.recipient_reported_sender);
    EXPECT_EQ(facts.withdrawn_at, absl::InfinitePast());
    EXPECT_FALSE(facts.pending);
  }

 private:
  template <typename T>
  static T ValueOrFail(absl::StatusOr<T> result, const std::string& what) {
    EXPECT_TRUE(result.ok()) << what << ": " << result.status();
    return result.ok() ? *std::move(result) : T();
  }

  StorePolicy policy_;  // the defaults: 90/7/14/21 days, 5 reports, ladder 7d, 30d
  std::unique_ptr<HistoryStore> store_;
};

}  // namespace etiquette::testing
