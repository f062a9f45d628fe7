#include "evaluator/note_text.h"

#include <unicode/bytestream.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "evaluator/config.h"
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
TEST(NoteTextTest, LatinWordsBeforeThaiAreSplitOnce) {
  const NoteWords note("Grüße, Herr Müller! สวัสดีครับ ขอบคุณ");
  EXPECT_THAT(Strings(note.words()),
              ElementsAre("grüsse", "herr", "müller", "สวัสดี", "ครับ", "ขอบคุณ"));
  EXPECT_EQ(note.joined(), "grüsseherrmüllerสวัสดีครับขอบคุณ");
  const NoteWords bounded("Grüße, Herr Müller! สวัสดีครับ", 2);
  EXPECT_THAT(Strings(bounded.words()), ElementsAre("grüsse", "herr"));
  EXPECT_EQ(bounded.joined(), "grüsseherr");
  // Thirty-two code points, eight bytes at a time and not.
  EXPECT_EQ(CountCodePoints("abcdefghÄbcdefghabcdefgh田中さんabcd"), 32u);
}

// Han and kana runs are split into overlapping bigrams, in place, without the dictionary.
TEST(NoteWordsTest, ChineseAndJapaneseRunsAreBigrams) {
  const NoteWords note("Grüße! 田中さん、はじめまして。LinkedInのネットワーク");
  EXPECT_THAT(Strings(note.words()),
              ElementsAre("grüsse", "田中", "中さ", "さん", "はじ", "じめ", "めま", "まし", "して",
                          "linkedin", "のネ", "ネッ", "ット", "トワ", "ワー", "ーク"));
  // joined() holds each letter once, not the bigrams' overlap.
  EXPECT_EQ(note.joined(), "grüsse田中さんはじめましてlinkedinのネットワーク");
  // A run of one letter is that letter; "・" and punctuation end a run, a digit or a Latin
  // letter ends it and makes its own word; an apostrophe is dropped and the run goes on.
  EXPECT_THAT(Strings(NoteWords("嗨，你好！ジョン・スミス 3月 田'中").words()),
              ElementsAre("嗨", "你好", "ジョ", "ョン", "スミ", "ミス", "3", "月", "田中"));
  // Half-width katakana are folded to full-width first; 々 belongs to the run.
  EXPECT_THAT(Strings(NoteWords("ｶﾀｶﾅ 佐々木").words()),
              ElementsAre("カタ", "タカ", "カナ", "佐々", "々木"));
  // The bound counts bigrams, and joined() stops with the last word kept.
  const NoteWords bounded("田中さん、はじめまして", 2);
  EXPECT_THAT(Strings(bounded.words()), ElementsAre("田中", "中さ"));
  EXPECT_EQ(bounded.joined(), "田中さ");
  // A Thai word in the note sends it through the dictionary iterator: the Japanese run is
  // still split into bigrams there.
  EXPECT_THAT(Strings(NoteWords("ครับ 田中さん").words()),
              ElementsAre("ครับ", "田中", "中さ", "さん"));
}

TEST(NoteWordsTest, APhraseOfSeveralLettersMatchesInsideALongerRun) {
  const std::vector<std::string> text = NormalizedWords("今後ともよろしくお願いします。");
  EXPECT_TRUE(ContainsPhrase(text, NormalizedWords("よろしくお願いします")));
  EXPECT_TRUE(ContainsPhrase(text, NormalizedWords("お願い")));
  EXPECT_TRUE(ContainsPhrase(text, NormalizedWords("今後")));
  EXPECT_FALSE(ContainsPhrase(text, NormalizedWords("お願いしました")));
  EXPECT_FALSE(ContainsPhrase(text, NormalizedWords("願お")));
  const PhraseList list(std::vector<std::string>{"弊社の製品", "割引"});
  EXPECT_TRUE(list.FoundIn(NoteWords("弊社の製品を割引価格でご案内します。").words()));
  EXPECT_TRUE(list.FoundIn(NoteWords("大幅割引").words()));
  EXPECT_FALSE(list.FoundIn(NoteWords("弊社の商品").words()));
}

// A one-letter phrase ("様", "嗨") matches that letter alone or inside a bigram: it occurs
// wherever the letter does. Positional matching (PhraseAt) stays exact.
TEST(NoteWordsTest, AOneLetterPhraseMatchesInsideBigrams) {
  const std::vector<std::string> text = NormalizedWords("田中様、よろしく");
  EXPECT_TRUE(ContainsPhrase(text, {"様"}));  // the run's last letter
  EXPECT_TRUE(ContainsPhrase(text, {"田"}));  // its first
  EXPECT_TRUE(ContainsPhrase(text, {"ろ"}));  // inside
  EXPECT_FALSE(ContainsPhrase(text, {"殿"}));
  EXPECT_TRUE(ContainsPhrase(NormalizedWords("嗨，你好"), {"嗨"}));  // a run of one
  const PhraseList list(std::vector<std::string>{"様", "free trial"});
  EXPECT_TRUE(list.FoundIn(NoteWords("田中様").words()));
  EXPECT_TRUE(list.FoundIn(NoteWords("様").words()));
  EXPECT_FALSE(list.FoundIn(NoteWords("田中殿").words()));
  EXPECT_TRUE(list.FoundIn(NoteWords("Free trial").words()));
  const NoteWords greeting("嗨王伟");
  EXPECT_FALSE(PhraseAt(greeting.words(), 0, NoteWords("嗨").words()));
  // Inside a phrase of several words the letter must stand alone, as any word.
  const PhraseList mixed(std::vector<std::string>{"linkedin の"});
  EXPECT_TRUE(mixed.FoundIn(NoteWords("LinkedInの、").words()));
  EXPECT_FALSE(mixed.FoundIn(NoteWords("LinkedInのネットワーク").words()));
}

// `text` upper-cased by ICU (non-ASCII capitals, "ß" -> "SS").
std::string Upper(const std::string& text) {
  std::string out;
  icu::UnicodeString::fromUTF8(text).toUpper(icu::Locale::getRoot()).toUTF8String(out);
  return out;
}

// NFKC_Casefold of `text` by ICU's normaliser, the reference.
std::string IcuFold(absl::string_view text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* normalizer = icu::Normalizer2::getNFKCCasefoldInstance(status);
  std::string out;
  icu::StringByteSink<std::string> sink(&out);
  normalizer->normalizeUTF8(0, icu::StringPiece(text.data(), static_cast<int32_t>(text.size())),
                            sink, nullptr, status);
  EXPECT_TRUE(U_SUCCESS(status));
  return out;
}

std::string Utf8(UChar32 c) {
  char bytes[4];
  int32_t n = 0;
  U8_APPEND_UNSAFE(bytes, n, c);
  return std::string(bytes, static_cast<size_t>(n));
}

// Where the table folds, its answer is ICU's, for every code point below U+0800 alone, after
// and before ASCII letters and before combining marks; where it does not, NoteWords asks ICU.
// The code points the table folds (below U+0800, U+2000..U+20FF, U+3000..U+30FF,
// U+FF00..U+FFEF) and the ideographs it may copy (U+3400..U+9FFF).
std::vector<UChar32> TableCodePoints() {
  std::vector<UChar32> all;
  for (UChar32 c = 0; c < 0x800; ++c) all.push_back(c);
  for (UChar32 c = 0x2000; c < 0x2100; ++c) all.push_back(c);
  for (UChar32 c = 0x3000; c < 0x3100; ++c) all.push_back(c);
  for (UChar32 c = 0xFF00; c < 0xFFF0; ++c) all.push_back(c);
  for (UChar32 c = 0x3400; c < 0xA000; ++c) all.push_back(c);
  return all;
}

TEST(FoldByTableTest, IsIcusAnswerForEveryCodePointOfTheTable) {
  size_t folded_by_table = 0;
  size_t left_to_icu = 0;
  // Letters, combining marks (Latin, Hebrew, the kana voicing mark) and a half-width one.
  const std::vector<std::string> neighbours = {"a",
                                               "Z",
                                               "\xCC\x81" /* U+0301 */,
                                               "\xCC\x88" /* U+0308 */,
                                               "\xD6\xB8" /* U+05B8 */,
                                               "\xE3\x82\x99" /* U+3099 */,
                                               "\xEF\xBE\x9E" /* U+FF9E */,
                                               "\xE3\x81\x8B" /* か */};
  for (UChar32 c : TableCodePoints()) {
    std::vector<std::string> texts = {Utf8(c)};
    for (const std::string& other : neighbours) {
      texts.push_back(Utf8(c) + other);
      texts.push_back(other + Utf8(c));
    }
    for (const std::string& text : texts) {
      std::string out;
      if (FoldNfkcCasefoldByTable(text, &out)) {
        ++folded_by_table;
        EXPECT_EQ(out, IcuFold(text)) << "U+" << std::hex << c << " in " << text;
      } else {
        ++left_to_icu;
      }
    }
  }
  // Most of them take the table (a combining mark never does, after a letter).
  EXPECT_GT(folded_by_table, 200000u);
  EXPECT_GT(left_to_icu, 50000u);
  std::string out;
  EXPECT_FALSE(FoldNfkcCasefoldByTable("cafe\xCC\x81", &out));  // e + U+0301 composes to é
  EXPECT_FALSE(FoldNfkcCasefoldByTable("\xE2\x84\xA2", &out));  // U+2122: ICU
  EXPECT_FALSE(FoldNfkcCasefoldByTable("a\xC3", &out));         // ill-formed: ICU
  ASSERT_TRUE(
      FoldNfkcCasefoldByTable("GR\xC3\x9C\xC3\x9F"
                              "E \xC3\x89T\xC3\x89!",
                              &out));
  EXPECT_EQ(out, "gr\xC3\xBCsse \xC3\xA9t\xC3\xA9!");  // Ü -> ü, ß -> ss, É -> é
}

// The words of a text without Han, kana, Thai, Lao, Khmer or Myanmar by NoteWords' contract,
// the slow way: ICU's NFKC_Casefold, then word code points kept, apostrophes dropped and
// anything else a separator, by ICU's general categories.
std::vector<std::string> ReferenceWords(absl::string_view text) {
  const std::string folded = IcuFold(text);
  std::vector<std::string> words;
  std::string word;
  for (int32_t i = 0; i < static_cast<int32_t>(folded.size());) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(folded.data(), i, static_cast<int32_t>(folded.size()), c);
    if (c == '\'' || c == 0x2019) continue;
    const int8_t type = c < 0 ? static_cast<int8_t>(U_UNASSIGNED) : u_charType(c);
    const bool letter = c >= 0 && (U_MASK(type) & (U_GC_L_MASK | U_GC_M_MASK | U_GC_N_MASK)) != 0;
    if (letter) {
      word.append(folded, static_cast<size_t>(start), static_cast<size_t>(i - start));
    } else if (!word.empty()) {
      words.push_back(word);
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(word);
  return words;
}

// The table's one-pass fold and split (and its fallbacks) give the words of ICU's fold, for
// every code point below U+0800 alone, inside and between words, after ASCII letters and
// before combining marks.
TEST(FoldByTableTest, WordsAreThoseOfIcusFoldForEveryTwoByteCodePoint) {
  for (UChar32 c = 0x80; c < 0x800; ++c) {
    const std::string cp = Utf8(c);
    for (const std::string& text :
         {cp, "\xC3\xA9" + cp + "x", "Ab" + cp + " " + cp + "cD \xC3\x9F",
          cp + "\xCC\x81 d\xC3\xBC", "a'" + cp + "\xC2\xAD" + cp + "'z \xC3\x84-" + cp}) {
      EXPECT_EQ(Strings(NoteWords(text).words()), ReferenceWords(text))
          << "U+" << std::hex << c << " in " << text;
    }
  }
}

// The one-pass split gives the words of the fold-then-split path, which a code point the table
// does not hold ("™", folded by ICU to "tm") forces, for every code point of the table
// between, after and before kana, ideographs, Latin letters and separators.
TEST(FoldByTableTest, OnePassSplitAgreesWithFoldThenSplit) {
  const std::string tm = " \xE2\x84\xA2";  // ™
  size_t checked = 0;
  for (UChar32 c : TableCodePoints()) {
    const std::string cp = Utf8(c);
    for (const std::string& text : {cp, "田中" + cp + "さん", cp + "ab 東京" + cp,
                                    "x" + cp + cp + "、", "日" + cp + "'本 " + cp + "ｶﾀｶﾅ"}) {
      const std::vector<std::string> fast = Strings(NoteWords(text).words());
      std::vector<std::string> slow = Strings(NoteWords(text + tm).words());
      ASSERT_FALSE(slow.empty());
      ASSERT_EQ(slow.back(), "tm");
      slow.pop_back();
      ASSERT_EQ(fast, slow) << "U+" << std::hex << c;
      // With the bound, each path keeps its first two words.
      const std::vector<std::string> first_two(fast.begin(),
                                               fast.begin() + std::min<size_t>(2, fast.size()));
      ASSERT_EQ(Strings(NoteWords(text, 2).words()), first_two) << "U+" << std::hex << c;
      ++checked;
    }
  }
  EXPECT_GT(checked, 100000u);
}

// Every text of every shipped language pack and of the personal-note rule's own lists folds
// to ICU's answer, and its words (but in Chinese and Japanese) are those of ICU's fold.
TEST(FoldByTableTest, IsIcusAnswerForEveryPackText) {
  const v1::EvaluatorConfig config = DefaultEvaluatorConfig();
  std::vector<std::string> texts;
  for (const v1::LanguagePack& pack : config.language_packs()) {
    for (const auto* list : {&pack.stock_notes(), &pack.greetings(), &pack.signoffs(),
                             &pack.reason_cues(), &pack.pitch_terms(), &pack.name_suffixes()}) {
      texts.insert(texts.end(), list->begin(), list->end());
    }
  }
  const v1::PersonalNoteConfig& own = config.rules().personal_note();
  for (const auto* list : {&own.stock_notes(), &own.greetings(), &own.signoffs()}) {
    texts.insert(texts.end(), list->begin(), list->end());
  }
  ASSERT_GT(texts.size(), 300u);
  size_t by_table = 0;
  size_t compared = 0;
  for (const std::string& text : texts) {
    std::string out;
    if (FoldNfkcCasefoldByTable(text, &out)) {
      ++by_table;
      EXPECT_EQ(out, IcuFold(text)) << text;
    }
    if (text.find_first_of("\xE3\xE4\xE5\xE6\xE7\xE8\xE9") == std::string::npos) {
      ++compared;  // no Han or kana (their lead bytes)
      EXPECT_EQ(Strings(NoteWords(text).words()), ReferenceWords(text)) << text;
      EXPECT_EQ(Strings(NoteWords(Upper(text)).words()), ReferenceWords(Upper(text))) << text;
    }
  }
  EXPECT_GT(by_table, 150u);  // the European and Arabic packs
  EXPECT_GT(compared, 250u);
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

// The ASCII fast path (16 bytes at a time where the CPU allows) against the table path, which
// an ASCII text takes once one non-ASCII word follows it: the same words and the same joined
// text, also when the bound on words stops the split inside a block.
TEST(NoteWordsTest, AsciiFastPathAgreesWithTheTablePath) {
  const std::string alphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
      "      ''.,-_!?@[]{}`~/\\:;\t\n\x01\x7F";
  std::mt19937 random(20261206);
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    // Now and then over 64 words and over NoteWords' 1,024 inline bytes (both then on the heap).
    const size_t length = round % 50 == 0 ? 1100 + random() % 200 : random() % 90;
    // Some texts are mostly letters (long words across blocks), some mostly separators.
    const size_t span = round % 3 == 0 ? 26 : alphabet.size();
    for (size_t i = 0; i < length; ++i) text += alphabet[random() % span];
    const std::string marked = text + " \xC3\xBC";  // " ü": not ASCII, so the table path
    const NoteWords fast(text);
    const NoteWords table(marked);
    std::vector<std::string> expected = Strings(table.words());
    ASSERT_FALSE(expected.empty());
    ASSERT_EQ(expected.back(), "\xC3\xBC");
    expected.pop_back();
    ASSERT_EQ(Strings(fast.words()), expected) << "text: " << text;
    // And both against the rule written out: letters and digits lower-cased, apostrophes
    // dropped, anything else ends a word.
    std::vector<std::string> by_hand(1);
    for (const char c : text) {
      if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
        by_hand.back() += absl::ascii_tolower(static_cast<unsigned char>(c));
      } else if (c != '\'' && !by_hand.back().empty()) {
        by_hand.emplace_back();
      }
    }
    if (by_hand.back().empty()) by_hand.pop_back();
    ASSERT_EQ(expected, by_hand) << "text: " << text;
    EXPECT_EQ(std::string(fast.joined()) + "\xC3\xBC", table.joined()) << "text: " << text;
    for (size_t bound = 1; bound <= 4 && bound <= expected.size(); ++bound) {
      const NoteWords bounded(text, bound);
      EXPECT_EQ(Strings(bounded.words()),
                std::vector<std::string>(expected.begin(), expected.begin() + bound))
          << "text: " << text << ", bound " << bound;
      EXPECT_EQ(bounded.joined(), NoteWords(marked, bound).joined()) << "text: " << text;
    }
  }
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

// Every word of 1 to 20 bytes (those of at most 8 packed into an integer, longer ones in a
// map) keeps the number it was first given, through the growth of the table; a word not
// inserted is absent, also one a single byte away from an inserted one.
TEST(WordTableTest, EveryWordKeepsItsNumberAndNoOtherWordIsFound) {
  std::vector<std::string> words;
  for (size_t length = 1; length <= 20; ++length) {
    for (char c = 'a'; c <= 'z'; ++c) {
      std::string word(length, 'a');
      word[length / 2] = c;  // the middle byte: what the two overlapping loads both cover
      words.push_back(word);
      word.back() = static_cast<char>(c - 'a' + 'A');
      words.push_back(word);
    }
  }
  words.push_back("\xC3\xBC");                  // "ü": bytes over 0x7F
  words.push_back("\xE7\x94\xB0\xE4\xB8\xAD");  // "田中"
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  WordTable table;
  for (size_t i = 0; i < words.size(); ++i) {
    ASSERT_EQ(table.Insert(words[i], static_cast<uint32_t>(i)), i) << words[i];
  }
  ASSERT_EQ(table.size(), words.size());
  for (size_t i = 0; i < words.size(); ++i) {
    EXPECT_EQ(table.Find(words[i]), i) << words[i];
    EXPECT_EQ(table.Insert(words[i], 999'999), i) << "a second Insert keeps the first number";
  }
  EXPECT_EQ(table.size(), words.size());
  for (const std::string absent :
       {"0", "ba", "aab", "aaaab", "aaaaaaab", "aaabaaaaa", "aaaaaaaaaaaaaaaaaaaaa", "\xC3\xBD"}) {
    EXPECT_EQ(table.Find(absent), WordTable::kAbsent) << absent;
  }
  EXPECT_EQ(table.Find(""), WordTable::kAbsent);
}

}  // namespace
}  // namespace etiquette
