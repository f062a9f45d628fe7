// The evaluator's limits on what one request may cost (issue 11): counts of repeated fields
// checked first, the error cap, the words of a note considered, matching linear in the note,
// and a batch that stops when its caller has gone.
#include <time.h>

#include <atomic>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/proto_time.h"
#include "evaluator/config.h"
#include "evaluator/evaluator.h"
#include "evaluator/invitation_validator.h"
#include "evaluator/note_text.h"
#include "evaluator/rules/personal_note.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using testing::GoodInvitation;
using testing::TestNow;

absl::Status Validate(const v1::Invitation& invitation) {
  return ValidateInvitation(invitation, TestNow(), "invitation");
}

void AddGroups(v1::Invitation& invitation, int count) {
  for (int i = 0; i < count; ++i) {
    v1::SharedGroup& group = *invitation.mutable_relationship()->add_shared_groups();
    group.set_group_id(absl::StrCat("g-", i));
    group.set_name(absl::StrCat("Group ", i));
  }
}

void AddHiringEvents(v1::Invitation& invitation, int count) {
  for (int i = 0; i < count; ++i) {
    v1::HiringEvent& event = *invitation.mutable_relationship()->add_hiring_events();
    event.set_stage(v1::HIRING_STAGE_APPLIED);
    event.set_company_id(absl::StrCat("co-", i));
    *event.mutable_occurred_at() = ToTimestamp(TestNow() - absl::Hours(24 * 400));
  }
}

TEST(RepeatedFieldLimitsTest, SharedGroupsAtTheLimitAreAccepted) {
  v1::Invitation invitation = GoodInvitation();
  AddGroups(invitation, kMaxSharedGroups);
  EXPECT_TRUE(Validate(invitation).ok()) << Validate(invitation);
}

TEST(RepeatedFieldLimitsTest, OneSharedGroupOverTheLimitIsRefused) {
  v1::Invitation invitation = GoodInvitation();
  AddGroups(invitation, kMaxSharedGroups + 1);
  const absl::Status status = Validate(invitation);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "invitation.relationship.shared_groups: at most 100, got 101");
}

TEST(RepeatedFieldLimitsTest, HiringEventsAtTheLimitAreAccepted) {
  v1::Invitation invitation = GoodInvitation();
  AddHiringEvents(invitation, kMaxHiringEvents);
  EXPECT_TRUE(Validate(invitation).ok()) << Validate(invitation);
}

TEST(RepeatedFieldLimitsTest, OneHiringEventOverTheLimitIsRefused) {
  v1::Invitation invitation = GoodInvitation();
  AddHiringEvents(invitation, kMaxHiringEvents + 1);
  const absl::Status status = Validate(invitation);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "invitation.relationship.hiring_events: at most 100, got 101");
}

// The count is checked before any element or other field: the message names only the count,
// though every element and the sender are bad too.
TEST(RepeatedFieldLimitsTest, CountsAreCheckedBeforeAnythingElse) {
  v1::Invitation invitation = GoodInvitation();
  invitation.clear_sender();
  for (int i = 0; i < 200000; ++i) invitation.mutable_relationship()->add_hiring_events();
  invitation.mutable_relationship()->add_shared_groups()->set_name(std::string(5000, 'x'));
  const absl::Status status = Validate(invitation);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "invitation.relationship.hiring_events: at most 100, got 200000");
}

TEST(ValidationErrorCapTest, TwentyErrorsAreListedInFull) {
  v1::Invitation invitation = GoodInvitation();
  // 20 events without a stage nor a date: 40 errors; 10 events: exactly 20.
  for (int i = 0; i < 10; ++i) invitation.mutable_relationship()->add_hiring_events();
  const absl::Status status = Validate(invitation);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const std::string message(status.message());
  EXPECT_THAT(message, ::testing::EndsWith("hiring_events[9].occurred_at: required"));
  EXPECT_THAT(message, ::testing::Not(::testing::HasSubstr("and more")));
}

TEST(ValidationErrorCapTest, AtMostTwentyErrorsThenAndMore) {
  v1::Invitation invitation = GoodInvitation();
  for (int i = 0; i < kMaxHiringEvents; ++i) invitation.mutable_relationship()->add_hiring_events();
  const absl::Status status = Validate(invitation);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  const std::string message(status.message());
  const std::vector<std::string> errors = absl::StrSplit(message, "; ");
  ASSERT_EQ(errors.size(), kMaxValidationErrors + 1) << message;
  EXPECT_EQ(errors.front(), "invitation.relationship.hiring_events[0].stage: required");
  EXPECT_EQ(errors[kMaxValidationErrors - 1],
            "invitation.relationship.hiring_events[9].occurred_at: required");
  EXPECT_EQ(errors.back(), "... and more");
}

TEST(NoteWordLimitTest, ANoteIsSplitIntoAtMostTheLimitOfWords) {
  std::string note;
  for (size_t i = 0; i < kMaxNoteWords + 5; ++i) absl::StrAppend(&note, "w", i, " ");
  EXPECT_EQ(NoteWords(note).words().size(), kMaxNoteWords + 5);
  const NoteWords limited(note, kMaxNoteWords);
  ASSERT_EQ(limited.words().size(), kMaxNoteWords);
  EXPECT_EQ(limited.words().back(), absl::StrCat("w", kMaxNoteWords - 1));
}

// Words past the limit are not considered: a reason cue there does not count.
TEST(NoteWordLimitTest, WordsPastTheLimitAreNotConsidered) {
  const PersonalNoteRule rule(DefaultEvaluatorConfig().rules().personal_note(), 0.6);
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_recipient()->set_company_name("");
  std::string padding;
  for (size_t i = 0; i + 1 < kMaxNoteWords; ++i) padding += "la ";
  invitation.set_note(padding + "because");  // the cue is word kMaxNoteWords: considered
  EXPECT_EQ(rule.Classify(invitation), PersonalNoteRule::NoteKind::kPersonal);
  invitation.set_note(padding + "la because");  // the cue is word kMaxNoteWords + 1
  EXPECT_EQ(rule.Classify(invitation), PersonalNoteRule::NoteKind::kImpersonal);
}

TEST(PhraseMatcherTest, FindsAnyPhraseAsWholeConsecutiveWords) {
  PhraseMatcher matcher;
  const std::vector<absl::string_view> a = {"payments", "berlin"};
  const std::vector<absl::string_view> b = {"a", "a", "b"};
  const std::vector<absl::string_view> empty;
  matcher.Add(a);
  matcher.Add(b);
  matcher.Add(empty);
  matcher.Build();
  const auto found = [&](std::vector<absl::string_view> words) { return matcher.FoundIn(words); };
  EXPECT_TRUE(found({"hi", "payments", "berlin", "folks"}));
  EXPECT_FALSE(found({"payments", "hi", "berlin"}));
  EXPECT_TRUE(found({"a", "a", "a", "b"}));  // through a failure link
  EXPECT_FALSE(found({"a", "b", "a", "a"}));
  EXPECT_FALSE(found({}));
  PhraseMatcher nothing;
  nothing.Build();
  EXPECT_FALSE(nothing.FoundIn(std::vector<absl::string_view>{"a"}));
}

double ThreadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// A note of 8,000 bytes of one repeated short word (1,000 words, all considered), and the most
// shared groups, each with a long name (4,000 bytes) of that word ending in another one, so
// that a name-by-name, position-by-position search compares (note words - name words) x name
// words words per group: about 250,000 for each of 100 groups. Matching in one pass over the
// note costs a few thousand hash look-ups.
v1::Invitation MatchingBomb() {
  v1::Invitation invitation = GoodInvitation();
  std::string note;
  while (note.size() + 8 <= kMaxNoteBytes) note += "welcome ";  // 1,000 words: all considered
  invitation.set_note(note);
  invitation.mutable_relationship()->clear_shared_groups();
  for (int i = 0; i < kMaxSharedGroups; ++i) {
    v1::SharedGroup& group = *invitation.mutable_relationship()->add_shared_groups();
    group.set_group_id(absl::StrCat("g-", i));
    std::string name;
    for (size_t w = 0; w + 1 < kMaxNoteWords / 2; ++w) name += "welcome ";  // half the words
    name += absl::StrCat("z", i);
    group.set_name(name);
  }
  std::string company;
  while (company.size() + 12 <= kMaxTextBytes) company += "welcome ";
  invitation.mutable_recipient()->set_company_name(company + "zz");
  return invitation;
}

// The bound: the linear matching takes 2.5 ms of this thread's CPU here; the name-by-name
// search it replaced, put back once, took 68 ms (83 for the whole Evaluate). Thread CPU time
// counts only while this thread runs, so a loaded 2-core machine (other builds and tests)
// delays it without inflating it much (caches shared with other processes: twice at worst);
// 25 ms leaves a margin of 10 over the linear cost and stays well under the quadratic one.
constexpr double kBombCpuBoundMs = 25.0;

TEST(MatchingBombTest, PersonalNoteIsLinearInTheNoteWhateverTheGroups) {
  const v1::Invitation invitation = MatchingBomb();
  ASSERT_TRUE(Validate(invitation).ok()) << Validate(invitation);
  const PersonalNoteRule rule(DefaultEvaluatorConfig().rules().personal_note(), 0.6);
  const double start = ThreadCpuMs();
  const PersonalNoteRule::NoteKind kind = rule.Classify(invitation);
  const double spent = ThreadCpuMs() - start;
  EXPECT_EQ(kind, PersonalNoteRule::NoteKind::kImpersonal);
  std::cout << "[figures] matching bomb: " << spent << " ms of thread CPU\n";
  EXPECT_LT(spent, kBombCpuBoundMs);
}

TEST(MatchingBombTest, TheWholeEvaluationIsBoundedToo) {
  const Evaluator evaluator(
      std::shared_ptr<const RulesEngine>(*RulesEngine::Create(DefaultEvaluatorConfig())),
      [] { return TestNow(); });
  v1::EvaluateRequest request;
  *request.mutable_invitation() = MatchingBomb();
  const double start = ThreadCpuMs();
  const absl::StatusOr<v1::Verdict> verdict = evaluator.Evaluate(request);
  const double spent = ThreadCpuMs() - start;
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  std::cout << "[figures] matching bomb, whole Evaluate: " << spent << " ms of thread CPU\n";
  EXPECT_LT(spent, kBombCpuBoundMs);
}

class CancelledBatchTest : public ::testing::Test {
 protected:
  CancelledBatchTest()
      : evaluator_(
            std::shared_ptr<const RulesEngine>(*RulesEngine::Create(DefaultEvaluatorConfig())),
            [] { return TestNow(); }) {
    for (int i = 0; i < 10; ++i) {
      v1::Invitation& invitation = *request_.add_invitations();
      invitation = GoodInvitation();
      invitation.set_invitation_id(absl::StrCat("inv-", i));
    }
  }
  Evaluator evaluator_;
  v1::EvaluateBatchRequest request_;
};

TEST_F(CancelledBatchTest, ABatchWhoseCallerHasGoneEndsCancelled) {
  const absl::StatusOr<v1::EvaluateBatchResponse> response =
      evaluator_.EvaluateBatch(request_, [] { return true; });
  EXPECT_EQ(response.status().code(), absl::StatusCode::kCancelled);
}

// Cancelled while judging: asked once per invitation validated (10), then once per invitation
// judged; it answers true at the 13th question, and the batch asks no more.
TEST_F(CancelledBatchTest, ACancelledBatchStopsAtTheNextInvitation) {
  std::atomic<int> asked{0};
  const absl::StatusOr<v1::EvaluateBatchResponse> response =
      evaluator_.EvaluateBatch(request_, [&asked] { return ++asked >= 13; });
  EXPECT_EQ(response.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(asked.load(), 13);
}

TEST_F(CancelledBatchTest, ABatchNotCancelledIsJudgedInFull) {
  std::atomic<int> asked{0};
  const absl::StatusOr<v1::EvaluateBatchResponse> response =
      evaluator_.EvaluateBatch(request_, [&asked] { return ++asked > 1000; });
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->verdicts_size(), 10);
  EXPECT_EQ(asked.load(), 20);
}

}  // namespace
}  // namespace etiquette
