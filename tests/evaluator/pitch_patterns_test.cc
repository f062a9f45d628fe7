#include "evaluator/pitch_patterns.h"

#include <string>
#include <vector>

#include "evaluator/config.h"
#include "evaluator/note_text.h"
#include "gtest/gtest.h"

namespace etiquette {
namespace {

int FindIn(const PitchPatterns& patterns, const std::string& note) {
  const NoteWords words(note);
  return patterns.Find(words.words());
}

TEST(PitchPatternsTest, Grammar) {
  const PitchPatterns patterns(
      std::vector<std::string>{"help companies|teams like yours", "hop on a? quick? call", "# off",
                               "the pric* list", "book ... demo", "quick|# min"});
  EXPECT_EQ(FindIn(patterns, "I help teams like yours grow"), 0);
  EXPECT_EQ(FindIn(patterns, "I help people like you"), -1);
  EXPECT_EQ(FindIn(patterns, "hop on call?"), 1);
  EXPECT_EQ(FindIn(patterns, "Hop on a quick call"), 1);
  EXPECT_EQ(FindIn(patterns, "Get 20% off today"), 2);
  EXPECT_EQ(FindIn(patterns, "Get twenty off today"), -1);
  EXPECT_EQ(FindIn(patterns, "see the pricing list"), 3);
  EXPECT_EQ(FindIn(patterns, "book a short product demo"), 4);
  EXPECT_EQ(FindIn(patterns, "book a very short product demo"), -1);  // gap of 4 words
  EXPECT_EQ(FindIn(patterns, "just 15 min"), 5);
  EXPECT_EQ(FindIn(patterns, "I help"), -1);  // the pattern runs past the end
}

// The engine's one pass for every rule's patterns: bit i for group i, whatever the others hold.
TEST(PitchPatternsTest, GroupsFoundInReportsEachGroupFoundInOnePass) {
  const PitchPatterns groups(
      std::vector<std::vector<std::string>>{{"hop on a? quick? call", "# off"},
                                            {"interviewing me"},
                                            {},
                                            {"follow ... twitter", "# off"}});
  const auto found = [&](const std::string& note) {
    const NoteWords words(note);
    return groups.GroupsFoundIn(words.words());
  };
  EXPECT_EQ(found("nothing here"), 0u);
  EXPECT_EQ(found("hop on a call"), 0b0001u);
  EXPECT_EQ(found("thanks for interviewing me"), 0b0010u);
  EXPECT_EQ(found("I follow you on Twitter"), 0b1000u);
  EXPECT_EQ(found("20% off"), 0b1001u);  // one pattern text in two groups: both
  EXPECT_EQ(found("I follow you on Twitter; thanks for interviewing me, hop on a quick call"),
            0b1011u);
}

TEST(PitchPatternsTest, CheckNamesWhatIsWrong) {
  EXPECT_TRUE(PitchPatterns::Check("a|b c? ... # d*").ok());
  EXPECT_FALSE(PitchPatterns::Check("").ok());
  EXPECT_FALSE(PitchPatterns::Check("a? b").ok());
  EXPECT_FALSE(PitchPatterns::Check("... b").ok());
  EXPECT_FALSE(PitchPatterns::Check("pre* b").ok());
  EXPECT_FALSE(PitchPatterns::Check("a b,c").ok());  // "b,c" is two words
}

TEST(PitchPatternsTest, DefaultPatternsAreValidAndCatchTheGuidesPitches) {
  const PitchPatterns patterns(DefaultEvaluatorConfig().rules().note_pitch().pitch_patterns());
  for (const char* pitch : {
           "Hi Marcus, I help companies like yours scale revenue, would love to chat!",
           "We help SaaS founders double their pipeline.",
           "Do you have 15 minutes for a quick call next week?",
           "Grab a time here: calendly.com/sam-sales/30min",
           "Book time via cal.com/sam",
           "Our plans start at $49 per month.",
           "This week only: 30% off for new clients.",
           "Could we set up a demo on Tuesday?",
           "Are you open to a quick chat?",
       }) {
    EXPECT_GE(FindIn(patterns, pitch), 0) << pitch;
  }
  for (const char* good : {
           "Hi Jordan, I enjoyed your talk on payment retries at the Berlin meetup.",
           "We met at PyCon in 2019; I helped organise the sprint day.",
           "Your post on hiring junior engineers changed how my team interviews.",
           "Congratulations on the new role at Globex, and on the 10 years there!",
           "I speak at 3 conferences a year on accessibility and would like to follow your work.",
       }) {
    EXPECT_EQ(FindIn(patterns, good), -1) << good;
  }
}

}  // namespace
}  // namespace etiquette
