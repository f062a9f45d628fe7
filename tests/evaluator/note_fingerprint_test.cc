#include "evaluator/note_fingerprint.h"

#include <algorithm>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace etiquette {
namespace {

// Near-identical: what history counts with its default max distance (HistoryConfig
// near_identical_max_distance, 14).
constexpr int kNear = 14;

v1::Invitation Invitation(const std::string& sender, const std::string& recipient,
                          const std::string& company, const std::string& note) {
  v1::Invitation invitation;
  invitation.mutable_sender()->set_full_name(sender);
  invitation.mutable_recipient()->set_full_name(recipient);
  invitation.mutable_recipient()->set_company_name(company);
  invitation.set_note(note);
  return invitation;
}

constexpr char kTemplate[] =
    "Hi {name}, I came across your profile and was impressed by your work at {company}. I am "
    "growing my network of professionals in fintech and would love to connect and exchange "
    "ideas. Best regards, Chris Baker";

std::string Fill(const std::string& name, const std::string& company) {
  std::string note = kTemplate;
  note.replace(note.find("{name}"), 6, name);
  note.replace(note.find("{company}"), 9, company);
  return note;
}

TEST(NoteFingerprintTest, EmptyNoteHasNone) {
  EXPECT_EQ(NoteFingerprint(Invitation("Chris Baker", "Anna Schmidt", "", "")), 0u);
  // Punctuation only: no word, no note.
  EXPECT_EQ(NoteFingerprint(Invitation("Chris Baker", "Anna Schmidt", "", " ... !!")), 0u);
  EXPECT_NE(NoteFingerprint(Invitation("Chris Baker", "Anna Schmidt", "", "Hi")), 0u);
}

TEST(NoteFingerprintTest, SameNoteSameFingerprint) {
  const v1::Invitation a = Invitation("Chris Baker", "Anna Schmidt", "Initech", "Hello there");
  EXPECT_EQ(NoteFingerprint(a), NoteFingerprint(a));
  // Case, punctuation and spacing are normalised away.
  EXPECT_EQ(NoteFingerprint(a), NoteFingerprint(Invitation("Chris Baker", "Anna Schmidt", "Initech",
                                                           "HELLO,  there!")));
}

TEST(NoteFingerprintTest, MailMergedNamesAreMasked) {
  const uint64_t anna = NoteFingerprint(
      Invitation("Chris Baker", "Anna Schmidt", "Initech", Fill("Anna", "Initech")));
  const uint64_t bob = NoteFingerprint(
      Invitation("Chris Baker", "Bob Okafor", "Globex Corp", Fill("Bob", "Globex Corp")));
  EXPECT_EQ(anna, bob);
  // Without masking the two notes differ.
  const uint64_t bob_unmasked =
      NoteFingerprint(Invitation("Chris Baker", "", "", Fill("Bob", "Globex Corp")));
  EXPECT_NE(anna, bob_unmasked);
}

// Notes of 10 to 37 words: the mail-merge template above, real-world-like personal, stock and
// sales notes (the measurement quoted in note_fingerprint.h).
const char* const kNotes[] = {
    "Hi Anna, I came across your profile and was impressed by your work at Initech. I am growing "
    "my network of professionals in fintech and would love to connect and exchange ideas. Best "
    "regards, Chris Baker",
    "Hi Jordan, we met at the Berlin payments meetup after your talk on retry budgets. I am "
    "building a similar ledger at Globex and would value your view on idempotency keys.",
    "Hello! Great to meet you at the hiring fair yesterday. As promised, here is my invitation so "
    "we can follow up on the backend role.",
    "I'd like to add you to my professional network on LinkedIn.",
    "Hi, I help companies like yours scale revenue with outbound campaigns. Would love to chat "
    "this week about how we could work together!",
    "Thanks for your thoughtful answer in the Rust users group about async cancellation; it saved "
    "me a day of debugging.",
    "Hi Sam, I came across your profile and would love to connect. Best regards",
    "Hi Sam, I noticed we are both in the fintech space and would love to connect and exchange "
    "ideas. Best",
    "Hello Maria, I saw your post about data engineering and would love to connect with you. "
    "Cheers",
    "Hi, I am expanding my network of professionals in marketing and would love to connect. "
    "Regards",
    "Hi Lee, great to meet you at the conference yesterday. Let us stay in touch! Best, Chris",
    "Hi Lee, we met at the AWS summit in London last week and talked about Kafka tuning; I would "
    "love to continue that conversation.",
};

uint64_t Of(const std::string& note) {
  return NoteFingerprint(Invitation("Chris Baker", "", "", note));
}

TEST(NoteFingerprintTest, SmallEditIsNear) {
  // Every note edited once at every word: the word replaced by "payments", by "really", or
  // deleted. Nearly all stay near; none goes far.
  int near = 0, total = 0, farthest = 0;
  for (const char* note : kNotes) {
    const uint64_t original = Of(note);
    const NoteWords words(note);
    const size_t n = words.words().size();
    for (const char* replacement : {"payments", "really", ""}) {
      for (size_t i = 0; i < n; ++i) {
        std::string edited;
        for (size_t j = 0; j < n; ++j) {
          absl::StrAppend(&edited, j == i ? absl::string_view(replacement) : words.words()[j], " ");
        }
        const int distance = FingerprintDistance(original, Of(edited));
        if (distance <= kNear) ++near;
        farthest = std::max(farthest, distance);
        ++total;
      }
    }
  }
  std::cout << "one-word edits within " << kNear << " bits: " << near << " of " << total
            << "; farthest " << farthest << "\n";
  EXPECT_EQ(total, 762);
  EXPECT_GE(near * 100, total * 97) << near << " of " << total;
  EXPECT_LE(farthest, kNear + 4);  // 17 measured
}

TEST(NoteFingerprintTest, DifferentNotesAreFar) {
  int nearest = 64;
  for (const char* a : kNotes) {
    for (const char* b : kNotes) {
      if (a == b) continue;
      const int distance = FingerprintDistance(Of(a), Of(b));
      EXPECT_GT(distance, kNear) << a << " / " << b;
      nearest = std::min(nearest, distance);
    }
  }
  std::cout << "nearest two different notes: " << nearest << " bits\n";
}

TEST(NoteFingerprintTest, TheFastPathGivesTheSameValue) {
  for (const char* note : kNotes) {
    const NoteWords words(note);
    const v1::Invitation invitation = Invitation("Chris Baker", "Anna Schmidt", "Initech", note);
    EXPECT_EQ(NoteFingerprint(words.words(), words.joined(), invitation),
              NoteFingerprint(words.words(), invitation))
        << note;
  }
  // Non-ASCII words (ICU's path) and one-letter words at the very end of the buffer.
  const NoteWords words("Grüße aus München, Straße 5 a");
  const v1::Invitation invitation = Invitation("", "", "", "");
  EXPECT_EQ(NoteFingerprint(words.words(), words.joined(), invitation),
            NoteFingerprint(words.words(), invitation));
}

TEST(NoteFingerprintTest, StableAcrossReleases) {
  // History compares fingerprints stored by earlier processes: the value must never change
  // silently (see note_fingerprint.h before changing this).
  EXPECT_EQ(NoteFingerprint(
                Invitation("Chris Baker", "Anna Schmidt", "Initech", Fill("Anna", "Initech"))),
            1548841214734787009u);
}

}  // namespace
}  // namespace etiquette
