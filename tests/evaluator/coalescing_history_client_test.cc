#include "evaluator/coalescing_history_client.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "support/fake_history_client.h"

namespace etiquette {
namespace {

using testing::FakeHistoryClient;

const absl::Time kT0 = absl::FromUnixSeconds(1780315200);

v1::GetStandingRequest For(const std::string& sender) {
  v1::GetStandingRequest request;
  request.set_sender_id(sender);
  return request;
}

class CoalescingHistoryClientTest : public ::testing::Test {
 protected:
  // A client over a held fake (fake_) with `slots` calls in flight and the test's clock.
  CoalescingHistoryClient& Client(int slots) {
    auto fake = std::make_unique<FakeHistoryClient>();
    fake->hold = true;
    fake_ = fake.get();
    client_.emplace(
        std::move(fake), slots, [this] { return now_; },
        [this](int evaluations) { sent_.push_back(evaluations); });
    return *client_;
  }
  // Asks for `sender`'s standing; the answer lands in answers_[sender].
  void Ask(const std::string& sender, absl::Duration timeout = absl::Milliseconds(50)) {
    client_->GetStanding(For(sender), timeout,
                         [this, sender](absl::StatusOr<v1::SenderStanding> standing) {
                           answers_.insert_or_assign(sender, std::move(standing));
                         });
  }
  // The sender named in `sender`'s answer ("" when the answer is an error or missing).
  std::string AnsweredSender(const std::string& sender) const {
    auto it = answers_.find(sender);
    if (it == answers_.end() || !it->second.ok()) return "";
    return it->second->sender_id();
  }

  FakeHistoryClient* fake_ = nullptr;  // owned by client_
  absl::Time now_ = kT0;
  std::optional<CoalescingHistoryClient> client_;
  std::map<std::string, absl::StatusOr<v1::SenderStanding>> answers_;
  std::vector<int> sent_;  // what the client told its observer, call by call
};

TEST_F(CoalescingHistoryClientTest, CallsThatFindAFreeSlotGoAtOnceAndAlone) {
  Client(4);
  Ask("a");
  Ask("b");
  Ask("c");
  EXPECT_EQ(fake_->get_calls, 3);
  EXPECT_EQ(fake_->batch_calls, 0);
  fake_->Answer();
  EXPECT_EQ(AnsweredSender("a"), "a");
  EXPECT_EQ(AnsweredSender("b"), "b");
  EXPECT_EQ(AnsweredSender("c"), "c");
}

TEST_F(CoalescingHistoryClientTest, CallsArrivingWhileEverySlotIsBusyGoAsOneBatchInOrder) {
  Client(1);
  Ask("a");
  Ask("b");
  Ask("c");
  Ask("d");
  EXPECT_EQ(fake_->get_calls, 1);
  EXPECT_EQ(fake_->batch_calls, 0);
  fake_->Answer();  // a's answer frees the slot: b, c and d go together
  EXPECT_EQ(AnsweredSender("a"), "a");
  EXPECT_EQ(answers_.count("b"), 0u);
  ASSERT_EQ(fake_->batch_calls, 1);
  EXPECT_EQ(fake_->batch_sizes, std::vector<int>{3});
  fake_->Answer();
  // Each caller gets its own sender's standing, not a neighbour's.
  EXPECT_EQ(AnsweredSender("b"), "b");
  EXPECT_EQ(AnsweredSender("c"), "c");
  EXPECT_EQ(AnsweredSender("d"), "d");
  // The slot is free again: the next call goes at once.
  Ask("e");
  EXPECT_EQ(fake_->get_calls, 2);
  EXPECT_EQ(fake_->batch_calls, 1);
}

TEST_F(CoalescingHistoryClientTest, TellsItsObserverHowManyEvaluationsEachCallCarries) {
  Client(1);
  Ask("a");
  Ask("b");
  Ask("c");
  EXPECT_EQ(sent_, std::vector<int>{1});
  fake_->Answer();
  EXPECT_EQ(sent_, (std::vector<int>{1, 2}));
  fake_->Answer();
  Ask("d");
  EXPECT_EQ(sent_, (std::vector<int>{1, 2, 1}));
}

// A finished call's answer runs last, after the next batch is sent: once every evaluation has
// its answer, nothing touches the client any more (the server may drain and destroy it).
TEST_F(CoalescingHistoryClientTest, TheNextBatchIsSentBeforeTheFinishedCallIsAnswered) {
  Client(1);
  int batches_when_a_was_answered = -1;
  client_->GetStanding(For("a"), absl::Milliseconds(50), [&](absl::StatusOr<v1::SenderStanding>) {
    batches_when_a_was_answered = fake_->batch_calls;
  });
  Ask("b");
  Ask("c");
  fake_->Answer();
  EXPECT_EQ(batches_when_a_was_answered, 1);
}

TEST_F(CoalescingHistoryClientTest, TheClientCanBeDestroyedInTheLastAnswer) {
  Client(1);
  Ask("a");
  bool b_answered = false;
  client_->GetStanding(For("b"), absl::Milliseconds(50),
                       [&](absl::StatusOr<v1::SenderStanding> standing) {
                         b_answered = standing.ok();
                         client_.reset();  // the last evaluation has its answer: drained
                       });
  fake_->Answer();  // a's answer sends b
  // The fake is owned by the client: answer b from outside it.
  std::vector<std::function<void()>> held;
  held.swap(fake_->held);
  for (const std::function<void()>& answer : held) answer();
  EXPECT_TRUE(b_answered);
  EXPECT_FALSE(client_.has_value());
}

TEST_F(CoalescingHistoryClientTest, OneWaitingCallGoesAsAGetStanding) {
  Client(1);
  Ask("a");
  Ask("b");
  fake_->Answer();
  EXPECT_EQ(fake_->get_calls, 2);
  EXPECT_EQ(fake_->batch_calls, 0);
  fake_->Answer();
  EXPECT_EQ(AnsweredSender("b"), "b");
}

TEST_F(CoalescingHistoryClientTest, AFailedBatchGivesEveryCallInItTheBatchsStatus) {
  Client(1);
  Ask("a");
  Ask("b");
  Ask("c");
  fake_->status = absl::UnavailableError("history: connection refused");
  fake_->Answer();  // a succeeds (asked before the failure); the batch of b and c fails
  EXPECT_EQ(AnsweredSender("a"), "a");
  fake_->Answer();
  ASSERT_EQ(answers_.count("b"), 1u);
  ASSERT_EQ(answers_.count("c"), 1u);
  EXPECT_EQ(answers_.at("b").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(answers_.at("c").status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(CoalescingHistoryClientTest, ABatchAnsweredWithTheWrongCountFailsEveryCallInIt) {
  Client(1);
  Ask("a");
  Ask("b");
  Ask("c");
  fake_->batch_answer_size = 1;
  fake_->Answer();
  fake_->Answer();
  EXPECT_EQ(answers_.at("b").status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(answers_.at("c").status().code(), absl::StatusCode::kInternal);
}

TEST_F(CoalescingHistoryClientTest, ACallPastItsDeadlineWhileWaitingIsAnsweredAndNotSent) {
  Client(1);
  Ask("a");
  Ask("b", absl::Milliseconds(10));  // deadline T0 + 10 ms
  now_ = kT0 + absl::Milliseconds(5);
  Ask("c", absl::Milliseconds(50));  // deadline T0 + 55 ms
  now_ = kT0 + absl::Milliseconds(20);
  fake_->Answer();
  ASSERT_EQ(answers_.count("b"), 1u);
  EXPECT_EQ(answers_.at("b").status().code(), absl::StatusCode::kDeadlineExceeded);
  // c alone is sent, with what is left of its own deadline.
  EXPECT_EQ(fake_->get_calls, 2);
  EXPECT_EQ(fake_->batch_calls, 0);
  EXPECT_EQ(fake_->timeouts.back(), absl::Milliseconds(35));
  fake_->Answer();
  EXPECT_EQ(AnsweredSender("c"), "c");
}

TEST_F(CoalescingHistoryClientTest, ABatchsTimeoutIsItsEarliestDeadline) {
  Client(1);
  Ask("a");
  Ask("b", absl::Milliseconds(30));
  Ask("c", absl::Milliseconds(50));
  now_ = kT0 + absl::Milliseconds(10);
  fake_->Answer();
  ASSERT_EQ(fake_->batch_calls, 1);
  EXPECT_EQ(fake_->timeouts.back(), absl::Milliseconds(20));
}

TEST_F(CoalescingHistoryClientTest, ABatchHoldsAtMostTheCapTheRestFollowsOnTheSameSlot) {
  Client(1);
  Ask("first");
  for (int i = 0; i < kMaxCoalescedStandings + 50; ++i) Ask(absl::StrCat("s", i));
  fake_->Answer();
  EXPECT_EQ(fake_->batch_sizes, std::vector<int>{kMaxCoalescedStandings});
  fake_->Answer();
  EXPECT_EQ(fake_->batch_sizes, (std::vector<int>{kMaxCoalescedStandings, 50}));
  fake_->Answer();
  for (int i = 0; i < kMaxCoalescedStandings + 50; ++i) {
    const std::string sender = absl::StrCat("s", i);
    EXPECT_EQ(AnsweredSender(sender), sender);
  }
  EXPECT_EQ(fake_->get_calls, 1);
}

TEST_F(CoalescingHistoryClientTest, BatchGetStandingPassesThroughWhileTheSlotsAreBusy) {
  Client(1);
  Ask("a");
  v1::BatchGetStandingRequest batch;
  *batch.add_requests() = For("x");
  *batch.add_requests() = For("y");
  std::optional<absl::StatusOr<std::vector<v1::SenderStanding>>> got;
  client_->BatchGetStanding(batch, absl::Milliseconds(50),
                            [&](absl::StatusOr<std::vector<v1::SenderStanding>> standings) {
                              got = std::move(standings);
                            });
  EXPECT_EQ(fake_->batch_calls, 1);
  fake_->Answer();
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->ok()) << got->status();
  ASSERT_EQ((*got)->size(), 2u);
  EXPECT_EQ((**got)[1].sender_id(), "y");
  // Only a held the slot, and its answer freed it: the next call goes at once.
  Ask("b");
  EXPECT_EQ(fake_->get_calls, 2);
}

}  // namespace
}  // namespace etiquette
