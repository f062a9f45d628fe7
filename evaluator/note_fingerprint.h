#pragma once

#include <cstdint>

#include "etiquette/v1/invitation.pb.h"
#include "evaluator/note_text.h"

namespace etiquette {

// A locality-sensitive fingerprint of a note, for finding the same (or a nearly identical) note
// sent to many recipients: a 64-bit SimHash (Charikar 2002; Manku et al., "Detecting
// near-duplicates for web crawling", 2007) over the note's 2-word shingles (bigrams). Notes that
// differ in a few words give fingerprints a few bits apart (FingerprintDistance); unrelated
// notes differ in about half of the 64 bits.
//
// The words are the normalised words the rules see (NoteWords), with the names a mail merge
// fills in masked: every word of the sender's and the recipient's full_name and of the
// recipient's company_name counts as one and the same word, and a run of them as one such word,
// so that "Hi Anna, ... at Initech" to Anna and "Hi Bob, ... at Globex Corp" to Bob give the
// same fingerprint.
//
// Near-identical: at most 14 bits apart (HistoryConfig near_identical_max_distance), measured
// on 12 notes of 10 to 37 words (tests/evaluator/note_fingerprint_test.cc), each edited once
// at every word (replaced by one of two words, or deleted: 762 edits): 97.4% stay within 14
// bits (91.6% within 12, all within 17). The 66 pairs of the different notes are 21 to 45 bits
// apart (median 31). (Unigrams and bigrams together, or 3-word shingles, separated the two
// less well: 3-word shingles left a quarter of the edits more than 12 bits away.)
//
// Stable: the same words give the same fingerprint in every process, build and release (the
// word hash is spelled out here, not std::hash or absl::Hash), since history stores the
// fingerprints and compares them later. Changing the algorithm changes every fingerprint: then
// notes sent before the change stop matching for one volume window (7 days).
//
// Cost: one hash per word (short words read 8 bytes at a time when `joined` is given), a
// carry-save bit-sliced count of the bigrams' bits, no allocation for ASCII names: ~190 ns for
// the typical 31-word note (bench/micro_bench.cc BM_NoteFingerprint_Typical).

// The fingerprint of `note_words` (NoteWords::words() of the invitation's note), with the
// invitation's names masked (see above). 0 exactly when the note has no word: no note.
uint64_t NoteFingerprint(WordSpan note_words, const v1::Invitation& invitation);
// The same, faster, when `joined` is the text the words are views into (NoteWords::joined(),
// RuleContext::note_joined): short words are then read 8 bytes at a time. Same value.
uint64_t NoteFingerprint(WordSpan note_words, absl::string_view joined,
                         const v1::Invitation& invitation);

// The same from the invitation alone (splits the note itself).
uint64_t NoteFingerprint(const v1::Invitation& invitation);

// Bits in which two fingerprints differ: 0 (same note) to 64.
inline int FingerprintDistance(uint64_t a, uint64_t b) { return __builtin_popcountll(a ^ b); }

}  // namespace etiquette
