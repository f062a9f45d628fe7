// Unicode text, language identification, the language packs and the note-language rule, through
// the rules engine with the shipped defaults (DefaultEvaluatorConfig, whose packs are
// deploy/config/language-packs.yaml).
#include <unicode/locid.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "evaluator/config.h"
#include "evaluator/invitation_validator.h"
#include "evaluator/language_id.h"
#include "evaluator/note_text.h"
#include "evaluator/rules_engine.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/test_invitations.h"

namespace etiquette {
namespace {

using ::testing::ElementsAre;
using testing::GoodInvitation;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TestNow;

std::vector<std::string> Words(absl::string_view text) { return NormalizedWords(text); }

std::string Upper(const std::string& text) {
  std::string out;
  icu::UnicodeString::fromUTF8(text).toUpper(icu::Locale::getRoot()).toUTF8String(out);
  return out;
}

// --- Unicode text -------------------------------------------------------------------------

TEST(UnicodeTextTest, CaseIsFoldedFullyNotJustAscii) {
  EXPECT_EQ(Words("\xC3\x9C"
                  "BER"),
            Words("\xC3\xBC"
                  "ber"));  // ÜBER == über
  EXPECT_THAT(Words("\xC3\x9C"
                    "BER"),
              ElementsAre("\xC3\xBC"
                          "ber"));
  EXPECT_EQ(Words("STRASSE"), Words("Stra\xC3\x9F"
                                    "e"));                      // ß folds to ss
  EXPECT_EQ(Words("\xCE\xA3\xCE\x9F\xCE\xA6\xCE\x99\xCE\x91"),  // ΣΟΦΙΑ == σοφια
            Words("\xCF\x83\xCE\xBF\xCF\x86\xCE\xB9\xCE\xB1"));
}

TEST(UnicodeTextTest, CompatibilityFormsAreNormalised) {
  // Full-width letters, a ligature and a decomposed é are the plain words.
  EXPECT_THAT(Words("\xEF\xBC\xA8\xEF\xBD\x89 \xEF\xAC\x81ne caf"
                    "e\xCC\x81"),
              ElementsAre("hi", "fine", "caf\xC3\xA9"));
}

TEST(UnicodeTextTest, JapaneseAndChineseAreSplitIntoBigrams) {
  // Overlapping bigrams of each Han/kana run, not dictionary words: the name "田中" is a word
  // of the note, and the greeting's words are those of the pack's "はじめまして".
  EXPECT_THAT(Words("田中さん、はじめまして。"),
              ElementsAre("田中", "中さ", "さん", "はじ", "じめ", "めま", "まし", "して"));
  EXPECT_THAT(Words("我们在会议上见过。"),
              ElementsAre("我们", "们在", "在会", "会议", "议上", "上见", "见过"));
  const NoteWords joined("田中さん、はじめまして。");
  EXPECT_EQ(joined.joined(), "田中さんはじめまして");
}

TEST(UnicodeTextTest, AsciiFastPathAgreesWithTheUnicodePath) {
  // The same ASCII words with one non-ASCII character appended take the ICU path.
  const std::string text = "Hi Jordan, I'd like to CONNECT: a-b_c/d@e (f) 42x";
  std::vector<std::string> slow = Words(text + " \xC3\xA9");
  ASSERT_EQ(slow.back(), "\xC3\xA9");
  slow.pop_back();
  EXPECT_EQ(Words(text), slow);
}

TEST(UnicodeTextTest, CodePointsAndGraphemes) {
  EXPECT_EQ(CountCodePoints("田中さん"), 4u);
  EXPECT_EQ(CountGraphemes("田中さん"), 4u);
  EXPECT_EQ(CountCodePoints("e\xCC\x81"), 2u);  // e + combining acute
  EXPECT_EQ(CountGraphemes("e\xCC\x81"), 1u);
  EXPECT_EQ(CountGraphemes("\xF0\x9F\x87\xA9\xF0\x9F\x87\xAA"), 1u);  // flag DE
  EXPECT_EQ(CountGraphemes("a\r\nb"), 3u);
}

// --- language identification --------------------------------------------------------------

struct Sample {
  const char* language;
  const char* text;
};

class LanguageIdTest : public ::testing::TestWithParam<Sample> {};

TEST_P(LanguageIdTest, IdentifiesTheLanguageWithConfidence) {
  const NoteWords words(GetParam().text);
  const LanguageGuess guess = IdentifyLanguage(GetParam().text, words.words());
  EXPECT_EQ(guess.language, GetParam().language);
  EXPECT_GE(guess.confidence, 0.8);
  EXPECT_LE(guess.confidence, 1.0);
}

INSTANTIATE_TEST_SUITE_P(
    Notes, LanguageIdTest,
    ::testing::Values(
        Sample{"en",
               "Hi Jordan, I enjoyed your talk on payment retries at the Berlin meetup and "
               "would like to stay in touch."},
        Sample{"de",
               "Hallo Maria, Ihr Vortrag über verteiltes Tracing auf dem Meetup hat mir "
               "sehr gefallen. Ich würde mich freuen, wenn wir in Kontakt bleiben."},
        Sample{"fr",
               "Bonjour Marie, j'ai beaucoup aimé votre présentation sur le traçage et je "
               "serais ravi de rester en contact avec vous."},
        Sample{"es",
               "Hola María, me gustó mucho tu charla sobre trazas en el meetup y me "
               "gustaría seguir en contacto contigo para hablar de la observabilidad."},
        Sample{"pt",
               "Olá Maria, gostei muito da sua palestra sobre rastreamento no meetup e "
               "gostaria de manter contato com você para falar de observabilidade."},
        Sample{"it",
               "Ciao Maria, mi è piaciuto molto il tuo intervento sul tracciamento al "
               "meetup e vorrei restare in contatto con te per parlare della "
               "osservabilità."},
        Sample{"nl",
               "Hallo Maria, ik vond je presentatie over tracing op de meetup erg goed en "
               "ik wil graag met je in contact blijven."},
        Sample{"ja", "田中さん、先週の勉強会でのご発表、大変参考になりました。"},
        Sample{"zh-Hans", "王先生您好，我们在上周的会议上见过，希望能和您保持联系。"},
        Sample{"zh-Hant", "王先生您好，我們在上週的會議上見過，希望能和您保持聯繫。"},
        Sample{"ar", "مرحبا أحمد، استمتعت بمحاضرتك في المؤتمر وأود البقاء على تواصل معك."},
        Sample{"he", "שלום דני, נהניתי מאוד מההרצאה שלך בכנס ואשמח להישאר בקשר."},
        Sample{"ko", "김민수님 안녕하세요, 지난주 컨퍼런스에서 발표 잘 들었습니다."}),
    [](const ::testing::TestParamInfo<Sample>& info) {
      std::string name = info.param.language;
      name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
      return name;
    });

TEST(LanguageIdTest, NothingToTellFromGivesNoLanguage) {
  for (const char* text : {"", "   ", "42 :) !!", "Jordan"}) {
    const NoteWords words(text);
    const LanguageGuess guess = IdentifyLanguage(text, words.words());
    EXPECT_EQ(guess.language, "") << text;
    EXPECT_EQ(guess.confidence, 0) << text;
  }
}

TEST(LanguageTagTest, WellFormedTags) {
  for (const char* tag :
       {"de", "de-DE", "zh-Hans", "zh-Hans-CN", "sr-Latn-RS", "es-419", "en-US-x-private",
        "de-CH-1901", "ja-JP-u-ca-japanese", "x-whatever", "EN-us", "yue", "zh-yue-HK"}) {
    EXPECT_TRUE(IsWellFormedLanguageTag(tag)) << tag;
  }
  for (const char* tag :
       {"", "d", "de_DE", "de--DE", "-de", "de-", "12", "de-DE-x", "e\xC3\xA9", "de DE", "de-a",
        "toolongtag", "de-DE-u", "x", "en-aaaaaaaa-bbbbbbbb-cccccccc-dddddddd"}) {
    EXPECT_FALSE(IsWellFormedLanguageTag(tag)) << tag;
  }
  EXPECT_EQ(PrimaryLanguage("zh-Hans-CN"), "zh");
  EXPECT_TRUE(SameLanguage("DE-de", "de-AT"));
  EXPECT_FALSE(SameLanguage("de", "en"));
}

TEST(LocaleValidationTest, MalformedLocaleIsRejectedWithItsPath) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_sender()->set_locale("de_DE");
  absl::Status status = ValidateInvitation(invitation, TestNow(), "invitation");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("invitation.sender.locale: must be"));
  invitation.mutable_sender()->set_locale("de-DE");
  invitation.mutable_recipient()->set_locale(std::string(36, 'a'));
  status = ValidateInvitation(invitation, TestNow(), "invitation");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("invitation.recipient.locale: must be"));
  invitation.mutable_recipient()->set_locale("ja");
  EXPECT_TRUE(ValidateInvitation(invitation, TestNow(), "invitation").ok());
}

// --- the language packs, through the engine -----------------------------------------------

class EngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine_ = std::move(*RulesEngine::Create(DefaultEvaluatorConfig())).release();
  }
  // Each suite derived from this one sets the engine up again: free it after each.
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }
  static v1::Verdict Evaluate(const v1::Invitation& invitation) {
    return engine_->Evaluate(invitation, TestNow(), HistoryStatus::kNotConfigured, nullptr);
  }
  // The findings of one rule.
  static std::vector<v1::Finding> Of(const v1::Verdict& verdict, absl::string_view rule) {
    std::vector<v1::Finding> out;
    for (const v1::Finding& finding : verdict.findings()) {
      if (finding.rule_id() == rule) out.push_back(finding);
    }
    return out;
  }
  static v1::Severity PersonalNote(const v1::Verdict& verdict) {
    const std::vector<v1::Finding> findings = Of(verdict, "personal-note");
    return findings.empty() ? v1::SEVERITY_UNSPECIFIED : findings.front().severity();
  }
  static const RulesEngine* engine_;
};
const RulesEngine* EngineTest::engine_ = nullptr;

struct Pack {
  const char* language;  // the pack, and the sender's locale
  const char* stock;     // one of its stock texts
  const char* personal;  // a personal note (a reason cue, no sales words)
  const char* sales;     // a note with one of its sales words
  // A sales opener (an offer to companies like the recipient's, revenue promised, a call asked
  // for) with none of the pack's or the rules' listed sales words.
  const char* opener;
  // A personal note that comes close to a pitch (a short conversation, a company, a talk) and
  // is none.
  const char* near_miss;
};

class LanguagePackTest : public EngineTest, public ::testing::WithParamInterface<Pack> {
 protected:
  v1::Invitation Invitation(const std::string& note, bool with_locale = true) const {
    v1::Invitation invitation = GoodInvitation();
    invitation.set_note(note);
    if (with_locale) invitation.mutable_sender()->set_locale(GetParam().language);
    return invitation;
  }
};

TEST_P(LanguagePackTest, StockTextIsRevised) {
  const v1::Verdict verdict = Evaluate(Invitation(GetParam().stock));
  EXPECT_EQ(verdict.decision(), v1::DECISION_REVISE);
  EXPECT_EQ(PersonalNote(verdict), v1::SEVERITY_VIOLATION);
}

TEST_P(LanguagePackTest, StockTextWithoutTheSendersLocaleIsRevised) {
  // Only the detected language (or English) can bring the pack in.
  const v1::Verdict verdict = Evaluate(Invitation(GetParam().stock, /*with_locale=*/false));
  EXPECT_EQ(PersonalNote(verdict), v1::SEVERITY_VIOLATION) << verdict.note_language();
}

TEST_P(LanguagePackTest, StockTextWithTheSendersSignOffIsRevised) {
  for (const std::string& signed_off : {absl::StrCat(GetParam().stock, " - Alex Sender"),
                                        absl::StrCat(GetParam().stock, "\n\xE2\x80\x93 Alex"),
                                        absl::StrCat(GetParam().stock, " Alex Sender")}) {
    const v1::Verdict verdict = Evaluate(Invitation(signed_off));
    EXPECT_EQ(PersonalNote(verdict), v1::SEVERITY_VIOLATION) << signed_off;
  }
}

TEST_P(LanguagePackTest, StockTextInAnotherCaseIsRevised) {
  const v1::Verdict verdict = Evaluate(Invitation(Upper(GetParam().stock)));
  EXPECT_EQ(PersonalNote(verdict), v1::SEVERITY_VIOLATION) << Upper(GetParam().stock);
}

TEST_P(LanguagePackTest, PersonalNoteIsNoViolation) {
  const v1::Verdict verdict = Evaluate(Invitation(GetParam().personal));
  EXPECT_EQ(PersonalNote(verdict), v1::SEVERITY_POSITIVE);
  EXPECT_EQ(verdict.decision(), v1::DECISION_SEND);
  EXPECT_TRUE(Of(verdict, "note-pitch").empty());
}

TEST_P(LanguagePackTest, SalesWordsAreAPitch) {
  const v1::Verdict verdict = Evaluate(Invitation(GetParam().sales));
  const std::vector<v1::Finding> pitch = Of(verdict, "note-pitch");
  ASSERT_EQ(pitch.size(), 1u) << GetParam().sales;
  EXPECT_EQ(pitch[0].severity(), v1::SEVERITY_ADVICE);
}

TEST_P(LanguagePackTest, ASalesOpenerIsAPitch) {
  const v1::Verdict verdict = Evaluate(Invitation(GetParam().opener));
  const std::vector<v1::Finding> pitch = Of(verdict, "note-pitch");
  ASSERT_EQ(pitch.size(), 1u) << GetParam().opener;
  EXPECT_EQ(pitch[0].code(), "note-pitch.sales-language");
  EXPECT_NE(PersonalNote(verdict), v1::SEVERITY_POSITIVE) << "a pitch is not called personal";

  // What catches it: pitch patterns (the rules' own for English, the pack's for the others;
  // without any pattern the opener goes through), except in Chinese and Japanese, whose words
  // are character pairs: there the pack's sales phrases catch it, patterns or not.
  const std::string language = GetParam().language;
  const bool caught_by_phrases = language == "ja" || language == "zh-Hans";
  v1::EvaluatorConfig config = DefaultEvaluatorConfig();
  config.mutable_rules()->mutable_note_pitch()->clear_pitch_patterns();
  for (v1::LanguagePack& pack : *config.mutable_language_packs()) {
    if (pack.language() == language) {
      EXPECT_EQ(pack.pitch_patterns_size() > 0, !caught_by_phrases && language != "en");
    }
    pack.clear_pitch_patterns();
  }
  const std::unique_ptr<RulesEngine> no_patterns = std::move(*RulesEngine::Create(config));
  const v1::Verdict without = no_patterns->Evaluate(Invitation(GetParam().opener), TestNow(),
                                                    HistoryStatus::kNotConfigured, nullptr);
  EXPECT_EQ(Of(without, "note-pitch").empty(), !caught_by_phrases) << GetParam().opener;
}

TEST_P(LanguagePackTest, ANearMissIsNoPitch) {
  const v1::Verdict verdict = Evaluate(Invitation(GetParam().near_miss));
  EXPECT_TRUE(Of(verdict, "note-pitch").empty()) << GetParam().near_miss;
  EXPECT_EQ(verdict.decision(), v1::DECISION_SEND) << GetParam().near_miss;
}

INSTANTIATE_TEST_SUITE_P(
    Packs, LanguagePackTest,
    ::testing::Values(
        Pack{"en", "I'd like to add you to my professional network on LinkedIn.",
             "Hi Jordan, we met at the Berlin meetup last week; let's stay in touch.",
             "Hi Jordan, try our platform with a free trial this month.",
             "Hi Jordan, I help companies like yours scale revenue. Open to a quick chat?",
             "Hi Jordan, after our short chat at the Berlin meetup I read your post on queues; "
             "I would like to stay in touch."},
        Pack{"de", "Ich möchte Sie gerne zu meinem beruflichen Netzwerk auf LinkedIn hinzufügen.",
             "Hallo Jordan, wir haben uns letzte Woche auf der Konferenz in Berlin "
             "kennengelernt. Ich würde gern in Kontakt bleiben.",
             "Hallo Jordan, ich würde Ihnen gern unser Produkt zeigen, mit 20 % Rabatt.",
             "Hallo Jordan, ich helfe Unternehmen wie Ihrem, den Umsatz zu verdoppeln. Hätten "
             "Sie diese Woche Zeit für ein kurzes Gespräch?",
             "Hallo Jordan, nach unserem kurzen Gespräch auf der Messe in Köln habe ich Ihren "
             "Vortrag über Vertriebsteams gesehen. Ich würde gern in Kontakt bleiben."},
        Pack{"fr", "Je souhaiterais faire partie de votre réseau professionnel sur LinkedIn.",
             "Bonjour Jordan, nous nous sommes rencontrés au salon de Lyon et j'aimerais "
             "rester en contact.",
             "Bonjour Jordan, découvrez notre solution avec un essai gratuit.",
             "Bonjour Jordan, j'accompagne les entreprises comme la vôtre à doubler leurs "
             "ventes. Seriez-vous disponible pour un appel cette semaine ?",
             "Bonjour Jordan, merci pour notre échange au salon de Lyon ; votre présentation "
             "sur les équipes produit m'a beaucoup appris."},
        Pack{"es", "Me gustaría añadirte a mi red profesional en LinkedIn.",
             "Hola Jordan, coincidimos en la conferencia de Madrid y me encantaría seguir en "
             "contacto.",
             "Hola Jordan, te ofrezco un descuento en nuestro producto.",
             "Hola Jordan, ayudamos a empresas como la tuya a duplicar sus ventas. ¿Agendamos "
             "una breve llamada?",
             "Hola Jordan, gracias por la charla breve en la conferencia de Madrid; me encantó "
             "tu ponencia sobre equipos remotos."},
        Pack{"pt", "Gostaria de adicioná-lo à minha rede profissional no LinkedIn.",
             "Olá Jordan, gostei muito da sua palestra na conferência de Lisboa e gostaria de "
             "manter contato.",
             "Olá Jordan, conheça a nossa plataforma com desconto especial.",
             "Olá Jordan, ajudamos empresas como a sua a dobrar as vendas. Podemos marcar uma "
             "conversa rápida?",
             "Olá Jordan, obrigado pela conversa na conferência de Lisboa; a sua palestra sobre "
             "equipes remotas foi ótima."},
        Pack{"it", "Vorrei aggiungerti alla mia rete professionale su LinkedIn.",
             "Ciao Jordan, ci siamo incontrati alla conferenza di Milano e vorrei restare in "
             "contatto.",
             "Ciao Jordan, prova gratuita della nostra piattaforma con uno sconto.",
             "Ciao Jordan, aiutiamo aziende come la tua a raddoppiare il fatturato. Possiamo "
             "fissare una breve telefonata?",
             "Ciao Jordan, grazie per la chiacchierata alla conferenza di Milano; il tuo "
             "intervento sui team remoti mi è piaciuto molto."},
        Pack{"nl", "Ik wil je graag toevoegen aan mijn professionele netwerk op LinkedIn.",
             "Hallo Jordan, we hebben elkaar ontmoet op de conferentie in Utrecht en ik blijf "
             "graag in contact.",
             "Hallo Jordan, bekijk ons product met korting.",
             "Hallo Jordan, wij helpen bedrijven zoals het jouwe hun omzet te verdubbelen. Heb "
             "je tijd voor een kennismaking?",
             "Hallo Jordan, bedankt voor ons korte gesprek op de beurs in Utrecht; je "
             "presentatie over teams sprak me aan."},
        Pack{
            "ja", "LinkedInのネットワークにご招待します。",
            "先週の勉強会でのご講演、とても勉強になりました。今後ともよろしくお願いします。",
            "弊社の製品を割引価格でご案内します。",
            "田中様、弊社は御社のような企業の売上を伸ばすお手伝いをしております。"
            "15分ほどお時間をいただけますか。",
            "先日の商談会でお会いしました。御社の取り組みについてのご講演、大変勉強になりました。"},
        Pack{"zh-Hans", "我想邀请您加入我的领英职业人脉。",
             "我们在上周的会议上见过，您的演讲让我受益匪浅。", "我们的产品现在有折扣，欢迎购买。",
             "王先生您好，我们帮助企业提升销售业绩，像贵公司这样的团队都在用。能否占用您几分钟通"
             "个电话？",
             "王先生您好，上周在会议上听了您关于帮助企业数字化转型的演讲，受益匪浅。"},
        Pack{"ar", "أود إضافتك إلى شبكتي المهنية على LinkedIn.",
             "مرحبا، التقينا في مؤتمر دبي الأسبوع الماضي وأود البقاء على تواصل.",
             "مرحبا، لدينا خصم على منتجنا هذا الأسبوع.",
             "مرحبا، نساعد الشركات مثل شركتك على زيادة المبيعات. هل لديك وقت لمكالمة سريعة؟",
             "مرحبا، التقينا في مؤتمر دبي وأعجبتني محاضرتك عن الفرق البعيدة."}),
    [](const ::testing::TestParamInfo<Pack>& info) {
      std::string name = info.param.language;
      name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
      return name;
    });

TEST_F(EngineTest, EveryShippedPackIsCovered) {
  // The packs the parameterised tests above cover; a new pack needs its row there.
  std::vector<std::string> shipped;
  const v1::EvaluatorConfig defaults = DefaultEvaluatorConfig();
  for (const v1::LanguagePack& pack : defaults.language_packs()) {
    shipped.push_back(pack.language());
  }
  EXPECT_THAT(shipped,
              ElementsAre("en", "de", "fr", "es", "pt", "it", "nl", "ja", "zh-Hans", "ar"));
}

TEST_F(EngineTest, RecipientNamedInAJapaneseNoteIsPersonal) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_recipient()->set_full_name("田中 太郎");
  invitation.set_note("田中さん、はじめまして。データ基盤の仕事をしています。");
  EXPECT_EQ(PersonalNote(Evaluate(invitation)), v1::SEVERITY_POSITIVE);
  invitation.set_note("太郎さん、はじめまして。データ基盤の仕事をしています。");  // given name
  EXPECT_EQ(PersonalNote(Evaluate(invitation)), v1::SEVERITY_POSITIVE);
  // Without the name the same note gives no reason: ADVICE.
  invitation.set_note("はじめまして。データ基盤の仕事をしています。");
  EXPECT_EQ(PersonalNote(Evaluate(invitation)), v1::SEVERITY_ADVICE);
}

TEST_F(EngineTest, RecipientNamedInAChineseNoteIsPersonal) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_recipient()->set_full_name("王伟");
  invitation.set_note("王先生您好，希望能和您保持联系。");
  EXPECT_EQ(PersonalNote(Evaluate(invitation)), v1::SEVERITY_POSITIVE);
  invitation.set_note("王伟您好，希望能和您保持联系。");
  EXPECT_EQ(PersonalNote(Evaluate(invitation)), v1::SEVERITY_POSITIVE);
  // By the given name alone, which is not the name's first word.
  invitation.mutable_recipient()->set_full_name("王小明");
  invitation.set_note("小明，你好！希望能和您保持联系。");
  EXPECT_EQ(PersonalNote(Evaluate(invitation)), v1::SEVERITY_POSITIVE);
  invitation.set_note("您好，希望能和您保持联系。");
  EXPECT_EQ(PersonalNote(Evaluate(invitation)), v1::SEVERITY_ADVICE);
}

TEST_F(EngineTest, JapaneseStockTextAfterTheRecipientsNameIsStillStock) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_recipient()->set_full_name("田中 太郎");
  invitation.set_note("田中さん、LinkedInのネットワークにご招待します。");
  EXPECT_EQ(PersonalNote(Evaluate(invitation)), v1::SEVERITY_VIOLATION);
}

// The recipient's name and honorific before the stock text are skipped as characters, however
// many bigrams they span: a long katakana name leaves nothing of itself to compare.
TEST_F(EngineTest, CjkStockTextAfterALongNameAndHonorificIsStock) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_recipient()->set_full_name("ジョーダン リー");
  invitation.set_note("ジョーダンさん、LinkedInのネットワークにご招待します。");
  EXPECT_EQ(PersonalNote(Evaluate(invitation)), v1::SEVERITY_VIOLATION);
  invitation.set_note("ジョーダン・リー様、LinkedInでつながりましょう。");
  EXPECT_EQ(PersonalNote(Evaluate(invitation)), v1::SEVERITY_VIOLATION);
  invitation.mutable_recipient()->set_full_name("王 伟");
  invitation.mutable_sender()->set_locale("zh-CN");
  invitation.set_note("王先生，我想邀请您加入我的领英职业人脉。");
  EXPECT_EQ(PersonalNote(Evaluate(invitation)), v1::SEVERITY_VIOLATION);
  // A personal note after the same name stays personal.
  invitation.set_note("王先生，上周在北京的会议上听了您的演讲，很受启发，希望以后能多交流。");
  EXPECT_EQ(PersonalNote(Evaluate(invitation)), v1::SEVERITY_POSITIVE);
}

TEST_F(EngineTest, NoteLengthCountsCodePointsInCjk) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_sender()->set_premium(false);  // 200 code points
  std::string note;
  for (int i = 0; i < 200; ++i) note += "字";  // 3 bytes each: 600 bytes
  invitation.set_note(note);
  EXPECT_TRUE(Of(Evaluate(invitation), "note-length").empty());
  invitation.set_note(note + "字");
  const std::vector<v1::Finding> length = Of(Evaluate(invitation), "note-length");
  ASSERT_EQ(length.size(), 1u);
  EXPECT_THAT(length[0].message(), HasSubstr("201 characters"));
}

TEST_F(EngineTest, VerdictReportsTheNotesLanguage) {
  v1::Invitation invitation = GoodInvitation();
  v1::Verdict verdict = Evaluate(invitation);
  EXPECT_EQ(verdict.note_language(), "en");
  EXPECT_GE(verdict.note_language_confidence(), 0.8);
  invitation.set_note("田中さん、先週の勉強会でのご発表、大変参考になりました。");
  verdict = Evaluate(invitation);
  EXPECT_EQ(verdict.note_language(), "ja");
  invitation.clear_note();
  verdict = Evaluate(invitation);
  EXPECT_EQ(verdict.note_language(), "");
  EXPECT_EQ(verdict.note_language_confidence(), 0);
}

// --- note-language ------------------------------------------------------------------------

TEST_F(EngineTest, NoteInALanguageTheRecipientDoesNotShareIsShadowAdvice) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_recipient()->set_locale("de-DE");
  const v1::Verdict verdict = Evaluate(invitation);  // an English note
  const std::vector<v1::Finding> found = Of(verdict, "note-language");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].severity(), v1::SEVERITY_ADVICE);
  EXPECT_EQ(found[0].outcome(), v1::DECISION_SEND);
  EXPECT_TRUE(found[0].shadow());  // SHADOW by default
  EXPECT_EQ(found[0].code(), "note-language.mismatch");
  EXPECT_EQ(found[0].params().at("note_language"), "en");
  EXPECT_EQ(found[0].params().at("recipient_locale"), "de-DE");
  EXPECT_EQ(verdict.decision(), v1::DECISION_SEND);
}

TEST_F(EngineTest, NoteLanguageIsSilentWhenTheLanguagesAgreeOrAreUnknown) {
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_recipient()->set_locale("en-GB");
  EXPECT_TRUE(Of(Evaluate(invitation), "note-language").empty());
  invitation.mutable_recipient()->clear_locale();  // recipient's language unknown
  EXPECT_TRUE(Of(Evaluate(invitation), "note-language").empty());
  invitation.mutable_recipient()->set_locale("de");
  invitation.set_note("Jordan");  // the note's language unknown
  EXPECT_TRUE(Of(Evaluate(invitation), "note-language").empty());
}

TEST(NoteLanguageRuleTest, EnforcedAndBelowConfidence) {
  v1::EvaluatorConfig config = DefaultEvaluatorConfig();
  config.mutable_rules()->mutable_note_language()->set_mode(v1::RULE_MODE_ENFORCE);
  std::unique_ptr<RulesEngine> engine = std::move(*RulesEngine::Create(config));
  v1::Invitation invitation = GoodInvitation();
  invitation.mutable_recipient()->set_locale("ja-JP");
  v1::Verdict verdict =
      engine->Evaluate(invitation, TestNow(), HistoryStatus::kNotConfigured, nullptr);
  int found = 0;
  for (const v1::Finding& finding : verdict.findings()) {
    if (finding.rule_id() != "note-language") continue;
    ++found;
    EXPECT_FALSE(finding.shadow());
  }
  EXPECT_EQ(found, 1);
  // A weak guess (one function word) stays below min_confidence: silent.
  invitation.set_note("Jordan: the Berlin meetup?");
  verdict = engine->Evaluate(invitation, TestNow(), HistoryStatus::kNotConfigured, nullptr);
  EXPECT_LT(verdict.note_language_confidence(), 0.8);
  for (const v1::Finding& finding : verdict.findings()) {
    EXPECT_NE(finding.rule_id(), "note-language");
  }
}

TEST(LanguagePackConfigTest, BadPacksAreRejectedWithTheirPath) {
  absl::StatusOr<v1::EvaluatorConfig> config = ParseEvaluatorConfig(
      "language_packs:\n  - language: de_DE\n  - language: fr\n    pitch_terms: [\" \"]\n"
      "    pitch_patterns: [\"appel ...\", \"... appel\"]\n"
      "  - language: FR\n");
  ASSERT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(config.status().message());
  EXPECT_THAT(message, HasSubstr("language_packs[0].language: must be a well-formed"));
  EXPECT_THAT(message, HasSubstr("language_packs[1].pitch_terms[0]: must not be blank"));
  EXPECT_THAT(message, HasSubstr("language_packs[2].language: another pack has this language"));
  // A malformed pitch pattern is named with the reason; a good one next to it is not.
  EXPECT_THAT(message, HasSubstr("language_packs[1].pitch_patterns[1]: the first element is ..."));
  EXPECT_THAT(message, Not(HasSubstr("language_packs[1].pitch_patterns[0]")));
  EXPECT_EQ(ParseEvaluatorConfig("rules: {note_language: {min_confidence: 0}}").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace etiquette
