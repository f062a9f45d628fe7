// Micro-benchmarks of the evaluator without gRPC: the rules engine alone on the typical
// invitation (bench/typical_invitation.h) and note variants, request validation, the whole
// Evaluator (validation + rules) and the protobuf work a server does around them. Every
// benchmark is single-threaded (one core) and reports items/s (evaluations, validations, ...).
//
//   build/bench/etiquette-micro-bench [--benchmark_min_time=0.5] [--benchmark_format=json]
#include <memory>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/typical_invitation.h"
#include "benchmark/benchmark.h"
#include "common/field_count_limits.h"
#include "common/typed_callback_service.h"
#include "evaluator/config.h"
#include "evaluator/evaluator.h"
#include "evaluator/evaluator_service.h"
#include "evaluator/invitation_validator.h"
#include "evaluator/language_id.h"
#include "evaluator/note_fingerprint.h"
#include "evaluator/note_text.h"
#include "evaluator/rules_engine.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace etiquette::bench {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1780315200);  // 2026-06-01T12:00:00Z

std::shared_ptr<const RulesEngine> Engine() {
  static const std::shared_ptr<const RulesEngine> engine = [] {
    absl::StatusOr<std::unique_ptr<RulesEngine>> created =
        RulesEngine::Create(DefaultEvaluatorConfig());
    if (!created.ok()) std::abort();
    return std::shared_ptr<const RulesEngine>(std::move(*created));
  }();
  return engine;
}

v1::Invitation Typical() { return TypicalInvitation(absl::ToUnixSeconds(kNow)); }

v1::Invitation WithNote(const char* note) {
  v1::Invitation invitation = Typical();
  invitation.set_note(note);
  return invitation;
}

// What history answers for an ordinary sender: GOOD, some volume, no pair facts.
v1::SenderStanding GoodStanding() {
  v1::SenderStanding standing;
  standing.set_sender_id("m-sender-000001");
  standing.set_state(v1::STANDING_STATE_GOOD);
  standing.set_invitations_last_7d(23);
  standing.set_acceptance_rate(0.34);
  standing.mutable_pair();
  return standing;
}

// Each evaluation as the server makes it (common/typed_callback_service.h): into a verdict on a
// fresh arena whose first block is the call's own (kCallArenaBlockBytes), freed with the arena.
void RunEngine(benchmark::State& state, const v1::Invitation& invitation,
               const v1::SenderStanding* standing) {
  const std::shared_ptr<const RulesEngine> engine = Engine();
  const HistoryStatus history =
      standing != nullptr ? HistoryStatus::kAnswered : HistoryStatus::kNotConfigured;
  alignas(8) static char block[kCallArenaBlockBytes];
  for (auto _ : state) {
    google::protobuf::ArenaOptions options;
    options.initial_block = block;
    options.initial_block_size = sizeof(block);
    google::protobuf::Arena arena(options);
    auto* verdict = google::protobuf::Arena::CreateMessage<v1::Verdict>(&arena);
    engine->Evaluate(invitation, kNow, history, standing, false, verdict);
    benchmark::DoNotOptimize(verdict);
  }
  state.SetItemsProcessed(state.iterations());
  // The verdict's size on the wire, for reference.
  state.counters["verdict_bytes"] =
      static_cast<double>(engine->Evaluate(invitation, kNow, history, standing).ByteSizeLong());
}

// The typical invitation, standalone (no history rules): the figure with the 1,000,000/s target.
void BM_RulesEngine_Typical(benchmark::State& state) { RunEngine(state, Typical(), nullptr); }
BENCHMARK(BM_RulesEngine_Typical);

// The same into a verdict on the heap, each freed after (how the server answered before its
// responses moved to the call's arena): the arena's share of the figure above.
void BM_RulesEngine_TypicalHeapVerdict(benchmark::State& state) {
  const std::shared_ptr<const RulesEngine> engine = Engine();
  const v1::Invitation invitation = Typical();
  for (auto _ : state) {
    v1::Verdict verdict =
        engine->Evaluate(invitation, kNow, HistoryStatus::kNotConfigured, nullptr);
    benchmark::DoNotOptimize(verdict);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RulesEngine_TypicalHeapVerdict);

// The typical invitation with a GOOD standing from history (the history rules run too).
void BM_RulesEngine_TypicalWithStanding(benchmark::State& state) {
  const v1::SenderStanding standing = GoodStanding();
  RunEngine(state, Typical(), &standing);
}
BENCHMARK(BM_RulesEngine_TypicalWithStanding);

// The typical invitation with a German note from a German-speaking sender (ICU normalisation,
// the de pack): the 500,000/s target. Language identification is part of every Evaluate.
void BM_RulesEngine_TypicalGerman(benchmark::State& state) {
  v1::Invitation invitation = WithNote(kTypicalGermanNote);
  invitation.mutable_sender()->set_locale("de-DE");
  invitation.mutable_recipient()->set_locale("de-DE");
  RunEngine(state, invitation, nullptr);
}
BENCHMARK(BM_RulesEngine_TypicalGerman);

// The German note one sentence longer (204 code points): note-length's over-limit finding in
// German too (DECISION_REVISE, 3 findings). The earlier German figures measured this one.
void BM_RulesEngine_GermanOverLimit(benchmark::State& state) {
  v1::Invitation invitation = WithNote(kGermanNoteOverLimit);
  invitation.mutable_sender()->set_locale("de-DE");
  invitation.mutable_recipient()->set_locale("de-DE");
  RunEngine(state, invitation, nullptr);
}
BENCHMARK(BM_RulesEngine_GermanOverLimit);

// The same in Japanese (ICU's dictionary word breaker, the ja pack): the 250,000/s target.
void BM_RulesEngine_TypicalJapanese(benchmark::State& state) {
  v1::Invitation invitation = WithNote(kTypicalJapaneseNote);
  invitation.mutable_sender()->set_locale("ja-JP");
  invitation.mutable_recipient()->set_locale("ja-JP");
  invitation.mutable_recipient()->set_full_name("ジョーダン リー");
  RunEngine(state, invitation, nullptr);
}
BENCHMARK(BM_RulesEngine_TypicalJapanese);

// The note's words alone (NoteWords) and language identification alone, per language.
void RunNoteText(benchmark::State& state, const char* note, bool identify) {
  for (auto _ : state) {
    const NoteWords words(note, kMaxNoteWords);
    if (identify) {
      LanguageGuess guess = IdentifyLanguage(note, words.words());
      benchmark::DoNotOptimize(guess);
    }
    benchmark::DoNotOptimize(words.words().data());
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_NoteWords_English(benchmark::State& state) { RunNoteText(state, kTypicalNote, false); }
BENCHMARK(BM_NoteWords_English);
void BM_NoteWords_German(benchmark::State& state) { RunNoteText(state, kTypicalGermanNote, false); }
BENCHMARK(BM_NoteWords_German);
void BM_NoteWords_Japanese(benchmark::State& state) {
  RunNoteText(state, kTypicalJapaneseNote, false);
}
BENCHMARK(BM_NoteWords_Japanese);
void BM_NoteWordsAndLanguageId_English(benchmark::State& state) {
  RunNoteText(state, kTypicalNote, true);
}
BENCHMARK(BM_NoteWordsAndLanguageId_English);
void BM_NoteWordsAndLanguageId_German(benchmark::State& state) {
  RunNoteText(state, kTypicalGermanNote, true);
}
BENCHMARK(BM_NoteWordsAndLanguageId_German);
void BM_NoteWordsAndLanguageId_Japanese(benchmark::State& state) {
  RunNoteText(state, kTypicalJapaneseNote, true);
}
BENCHMARK(BM_NoteWordsAndLanguageId_Japanese);

// The note fingerprint alone (issue 16: SimHash of the typical note's words, names masked),
// from the words the engine already split.
void BM_NoteFingerprint_Typical(benchmark::State& state) {
  const v1::Invitation invitation = Typical();
  const NoteWords words(invitation.note(), kMaxNoteWords);
  for (auto _ : state) {
    uint64_t fingerprint = NoteFingerprint(words.words(), words.joined(), invitation);
    benchmark::DoNotOptimize(fingerprint);
  }
}
BENCHMARK(BM_NoteFingerprint_Typical);

void BM_RulesEngine_NoNote(benchmark::State& state) { RunEngine(state, WithNote(""), nullptr); }
BENCHMARK(BM_RulesEngine_NoNote);

void BM_RulesEngine_StockNote(benchmark::State& state) {
  RunEngine(state, WithNote(kStockNote), nullptr);
}
BENCHMARK(BM_RulesEngine_StockNote);

void BM_RulesEngine_PersonalNote(benchmark::State& state) {
  RunEngine(state, WithNote(kShortPersonalNote), nullptr);
}
BENCHMARK(BM_RulesEngine_PersonalNote);

// Request validation of the typical invitation (what the server does before the rules).
void BM_ValidateInvitation_Typical(benchmark::State& state) {
  const v1::Invitation invitation = Typical();
  for (auto _ : state) {
    absl::Status status = ValidateInvitation(invitation, kNow, "invitation");
    benchmark::DoNotOptimize(status);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidateInvitation_Typical);

// Evaluator::Evaluate, standalone: validation + rules, what one Evaluate RPC costs without
// gRPC and protobuf (de)serialization.
void BM_Evaluator_Typical(benchmark::State& state) {
  const Evaluator evaluator(Engine(), [] { return kNow; });
  v1::EvaluateRequest request;
  *request.mutable_invitation() = Typical();
  for (auto _ : state) {
    absl::StatusOr<v1::Verdict> verdict = evaluator.Evaluate(request);
    benchmark::DoNotOptimize(verdict);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Evaluator_Typical);

// The protobuf work of a server around the business logic: parsing the request and
// serializing the response (gRPC does both for the sync API).
void BM_Proto_ParseEvaluateRequest(benchmark::State& state) {
  v1::EvaluateRequest request;
  *request.mutable_invitation() = Typical();
  const std::string wire = request.SerializeAsString();
  for (auto _ : state) {
    v1::EvaluateRequest parsed;
    benchmark::DoNotOptimize(parsed.ParseFromString(wire));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(wire.size()));
}
BENCHMARK(BM_Proto_ParseEvaluateRequest);

// What the servers do before that parse (common/field_count_limits.h): count the capped
// repeated fields and the unknown ones on the bytes. Compare with BM_Proto_ParseEvaluateRequest.
void BM_FieldCountLimits_CheckEvaluateRequest(benchmark::State& state) {
  v1::EvaluateRequest request;
  *request.mutable_invitation() = Typical();
  const std::string wire = request.SerializeAsString();
  const FieldCountLimits limits(*v1::EvaluateRequest::descriptor(), EvaluateCountLimits());
  for (auto _ : state) {
    google::protobuf::io::ArrayInputStream stream(wire.data(), static_cast<int>(wire.size()));
    benchmark::DoNotOptimize(limits.Check(&stream));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(wire.size()));
}
BENCHMARK(BM_FieldCountLimits_CheckEvaluateRequest);

void BM_Proto_SerializeVerdict(benchmark::State& state) {
  v1::EvaluateResponse response;
  *response.mutable_verdict() =
      Engine()->Evaluate(Typical(), kNow, HistoryStatus::kNotConfigured, nullptr);
  for (auto _ : state) {
    std::string wire = response.SerializeAsString();
    benchmark::DoNotOptimize(wire);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(response.ByteSizeLong()));
}
BENCHMARK(BM_Proto_SerializeVerdict);

}  // namespace
}  // namespace etiquette::bench

BENCHMARK_MAIN();
