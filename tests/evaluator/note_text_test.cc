#include "evaluator/note_text.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace etiquette {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Strings(WordSpan words) {
  std::vector<std::string> out;
  for (absl::string_view word : words) out.emplace_back(word);
  return out;
}

// A note split in place until a script that needs the dictionary turns up, then split again
// with the break iterator: the words before it are neither lost nor doubled, and the bound on
// words holds on both paths.
TEST(NoteTextTest, LatinWordsBeforeJapaneseAreSplitOnce) {
  const NoteWords note("Grüße, Herr Müller! 田中さん、はじめまして。");
  EXPECT_THAT(std::vector<std::string>(note.words().begin(), note.words().end()),
              ElementsAre("grüsse", "herr", "müller", "田中", "さん", "はじめまして"));
  EXPECT_EQ(note.joined(), "grüsseherrmüller田中さんはじめまして");
  const NoteWords bounded("Grüße, Herr Müller! 田中さん", 2);
  EXPECT_THAT(std::vector<std::string>(bounded.words().begin(), bounded.words().end()),
              ElementsAre("grüsse", "herr"));
  EXPECT_EQ(bounded.joined(), "grüsseherr");
  // Thirty-two code points, eight bytes at a time and not.
  EXPECT_EQ(CountCodePoints("abcdefghÄbcdefghabcdefgh田中さんabcd"), 32u);
}

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

TEST(NoteWordsTest, EmptyAndSeparatorOnlyTextsHaveNoWords) {
  EXPECT_THAT(NoteWords("").words(), IsEmpty());
  EXPECT_THAT(NoteWords(" \t\n,.!?-").words(), IsEmpty());
  // Apostrophes alone are no word, straight or curly.
  EXPECT_THAT(NoteWords("' '' \xE2\x80\x99 -'-").words(), IsEmpty());
  EXPECT_THAT(NoteWords("\xC2\xA0\xE2\x80\x94\xE2\x80\xA6").words(), IsEmpty());
}

TEST(NoteWordsTest, ApostrophesVanishWhereverTheyAre) {
  EXPECT_THAT(Strings(NoteWords("'Quoted' rock 'n' roll isn't o''neill").words()),
              ElementsAre("quoted", "rock", "n", "roll", "isnt", "oneill"));
  EXPECT_THAT(Strings(NoteWords("\xE2\x80\x99tis don\xE2\x80\x99t\xE2\x80\x99").words()),
              ElementsAre("tis", "dont"));
}

TEST(NoteWordsTest, AsciiPunctuationAndUnicodeMarksSeparate) {
  EXPECT_THAT(Strings(NoteWords("a-b_c/d@e:f(g)h\xE2\x80\x93i\xE2\x80\x9Cj\xE2\x81\x8Ak").words()),
              ElementsAre("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"));
}

TEST(NoteWordsTest, EveryLetterIsCaseFolded) {
  // Non-ASCII capitals fold too (they were kept as they were before ICU).
  const std::string e_acute_capital = "\xC3\x89";
  EXPECT_THAT(Strings(NoteWords(e_acute_capital + "COLE Z\xC3\x9CRICH 42X").words()),
              ElementsAre("\xC3\xA9"
                          "cole",
                          "z\xC3\xBCrich", "42x"));
}

TEST(NoteWordsTest, IllFormedUtf8SeparatesWords) {
  // A cut-off sequence is no letter: it separates (config text is not checked for UTF-8).
  EXPECT_THAT(Strings(NoteWords("hi\xE2\x80").words()), ElementsAre("hi"));
  EXPECT_THAT(Strings(NoteWords("hi \xE2").words()), ElementsAre("hi"));
  EXPECT_THAT(Strings(NoteWords("a\xFF"
                                "b")
                          .words()),
              ElementsAre("a", "b"));
}

TEST(NoteWordsTest, AgreesWithNormalizedWords) {
  const char* const text =
      "Hi Jordan,\xC2\xA0I\xE2\x80\x99"
      "d like to CONNECT \xE2\x80\x94 Jos\xC3\xA9";
  EXPECT_EQ(Strings(NoteWords(text).words()), NormalizedWords(text));
}

TEST(PhraseListTest, NormalisesEntriesAndDropsThoseWithoutWords) {
  const std::vector<std::string> texts = {"Book a Call!", "--", "  ", "Demo"};
  const PhraseList list(texts);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_THAT(Strings(list.phrase(0)), ElementsAre("book", "a", "call"));
  EXPECT_THAT(Strings(list.phrase(1)), ElementsAre("demo"));
}

TEST(PhraseListTest, StartingWithListsPhrasesInConfigOrder) {
  const std::vector<std::string> texts = {"best regards", "cheers", "best", "all the best"};
  const PhraseList list(texts);
  EXPECT_THAT(list.StartingWith("best"), ElementsAre(0u, 2u));
  EXPECT_THAT(list.StartingWith("all"), ElementsAre(3u));
  EXPECT_THAT(list.StartingWith("regards"), IsEmpty());  // not a first word
  EXPECT_THAT(list.StartingWith("bust"), IsEmpty());     // same first and last byte and length
  EXPECT_THAT(list.StartingWith(""), IsEmpty());
}

TEST(PhraseListTest, FoundInMatchesWholeConsecutiveWords) {
  const std::vector<std::string> texts = {"free trial", "buy"};
  const PhraseList list(texts);
  EXPECT_TRUE(list.FoundIn(NoteWords("Try our FREE-trial.").words()));
  EXPECT_TRUE(list.FoundIn(NoteWords("ready to buy").words()));
  EXPECT_FALSE(list.FoundIn(NoteWords("a free and open trial").words()));
  EXPECT_FALSE(list.FoundIn(NoteWords("buyer free").words()));
  EXPECT_FALSE(list.FoundIn(NoteWords("").words()));
  EXPECT_FALSE(PhraseList(std::vector<std::string>{}).FoundIn(NoteWords("buy").words()));
}

TEST(PhraseListTest, LongFirstWordsAreFound) {
  // Lengths above 63 share one bit of the length filter.
  const std::string long_word(70, 'x');
  const std::vector<std::string> texts = {long_word + " y"};
  const PhraseList list(texts);
  EXPECT_TRUE(list.FoundIn(NoteWords(long_word + " y").words()));
  EXPECT_FALSE(list.FoundIn(NoteWords(std::string(64, 'x') + " y").words()));
}

}  // namespace
}  // namespace etiquette
