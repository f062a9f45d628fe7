#include "evaluator/note_text.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace etiquette {
namespace {

using ::testing::ElementsAre;

TEST(NoteTextTest, CountsCodePointsNotBytes) {
  EXPECT_EQ(CountCodePoints(""), 0u);
  EXPECT_EQ(CountCodePoints("abc"), 3u);
  EXPECT_EQ(CountCodePoints("caf\xC3\xA9"), 4u);          // café
  EXPECT_EQ(CountCodePoints("\xF0\x9F\x91\x8B hi"), 4u);  // 👋 hi
}

TEST(NoteTextTest, WordsAreLowercasedWithoutPunctuation) {
  EXPECT_THAT(NormalizedWords("Hi Jordan, I'd like to CONNECT!"),
              ElementsAre("hi", "jordan", "id", "like", "to", "connect"));
}

TEST(NoteTextTest, CurlyApostrophesAndDashesAreHandled) {
  EXPECT_THAT(NormalizedWords("I\xE2\x80\x99"
                              "d like\xE2\x80\x94really"),
              ElementsAre("id", "like", "really"));
}

TEST(NoteTextTest, NoBreakSpaceSeparatesWords) {
  EXPECT_THAT(NormalizedWords("we\xC2\xA0"
                              "both"),
              ElementsAre("we", "both"));
}

TEST(NoteTextTest, NonAsciiLettersStayInWords) {
  EXPECT_THAT(NormalizedWords("Jos\xC3\xA9 M\xC3\xBCller"),
              ElementsAre("jos\xC3\xA9", "m\xC3\xBCller"));
}

TEST(NoteTextTest, PhraseMatchesWholeWordsOnly) {
  const std::vector<std::string> words = NormalizedWords("we both like buying demos");
  EXPECT_TRUE(ContainsPhrase(words, {"we", "both"}));
  EXPECT_FALSE(ContainsPhrase(words, {"buy"}));
  EXPECT_FALSE(ContainsPhrase(words, {"demo"}));
  EXPECT_FALSE(ContainsPhrase(words, {}));
}

TEST(NoteTextTest, WordSimilarity) {
  EXPECT_DOUBLE_EQ(WordSimilarity({"a", "b"}, {"a", "b"}), 1.0);
  EXPECT_DOUBLE_EQ(WordSimilarity({}, {}), 1.0);
  EXPECT_DOUBLE_EQ(WordSimilarity({"a", "b", "c", "d"}, {"a", "x", "c", "d"}), 0.75);
  EXPECT_DOUBLE_EQ(WordSimilarity({"a"}, {"b", "c"}), 0.0);
}

}  // namespace
}  // namespace etiquette
