#pragma once
// The invitations the benchmarks send: one "typical" invitation (a complete profile inviting a
// stranger with a 180-character personal note, two shared groups, one hiring event) and the
// note variants the micro-benchmarks compare. Shared by loadgen/ and micro_bench.cc so that
// the load generator and the micro-benchmarks judge the same thing.
#include <cstdint>

#include "etiquette/v1/invitation.pb.h"

namespace etiquette::bench {

// 180 characters: names the recipient, says where they met (a reason cue), no pitch, no link.
inline constexpr char kTypicalNote[] =
    "Hi Jordan, we met at the Berlin payments meetup after your talk on retry budgets. I am "
    "building a similar ledger at Globex and would value your view on idempotency keys. Best, "
    "Alex";
// The same kind of note in German (198 code points, under the 200 of note-length, umlauts: the
// ICU path) and in Japanese (about 70 characters: dictionary word breaking), for the
// per-language figures.
inline constexpr char kTypicalGermanNote[] =
    "Hallo Jordan, wir haben uns beim Berliner Payments-Meetup nach Ihrem Vortrag über "
    "Retry-Budgets kennengelernt. Ich baue bei Globex ein ähnliches Ledger und hätte gern Ihre "
    "Meinung. Viele Grüße, Alex";
// The German note the figures used before: 204 code points, so note-length adds a
// finding (DECISION_REVISE). Kept as its own benchmark so the older figures stay comparable.
inline constexpr char kGermanNoteOverLimit[] =
    "Hallo Jordan, wir haben uns beim Berliner Payments-Meetup nach Ihrem Vortrag über "
    "Retry-Budgets kennengelernt. Ich baue bei Globex ein ähnliches Ledger und würde gern Ihre "
    "Meinung hören. Viele Grüße, Alex";
inline constexpr char kTypicalJapaneseNote[] =
    "ジョーダンさん、ベルリンの決済ミートアップでのリトライ予算についてのご講演、大変勉強になりまし"
    "た。"
    "Globexで同様の台帳を構築しており、冪等キーについてご意見を伺えれば幸いです。";
// The stock text the personal-note rule flags.
inline constexpr char kStockNote[] = "I'd like to add you to my professional network on LinkedIn.";
// A short personal note (61 characters).
inline constexpr char kShortPersonalNote[] =
    "Hi Jordan, we met at the Berlin meetup. Let us stay in touch.";

// The typical invitation, with sent_at unset (the server's clock) and its hiring event dated
// 60 days before `now_unix_s` (so it is valid whatever the server's time is).
inline v1::Invitation TypicalInvitation(int64_t now_unix_s) {
  v1::Invitation invitation;
  invitation.set_invitation_id("inv-bench-000000000001");
  v1::MemberProfile& sender = *invitation.mutable_sender();
  sender.set_member_id("m-sender-000001");
  sender.set_full_name("Alex Morgan");
  sender.set_headline("Payments engineer at Globex");
  sender.set_summary("Eight years building ledgers and payment retries.");
  sender.set_has_photo(true);
  sender.set_company_id("globex");
  sender.set_company_name("Globex");
  v1::MemberProfile& recipient = *invitation.mutable_recipient();
  recipient.set_member_id("m-recipient-000001");
  recipient.set_full_name("Jordan Lee");
  recipient.set_headline("Staff engineer, payments infrastructure");
  recipient.set_has_photo(true);
  recipient.set_company_id("initech");
  recipient.set_company_name("Initech");
  invitation.set_note(kTypicalNote);
  v1::Relationship& relationship = *invitation.mutable_relationship();
  relationship.set_familiarity(v1::FAMILIARITY_STRANGER);
  relationship.set_mutual_connections(12);
  v1::SharedGroup& payments = *relationship.add_shared_groups();
  payments.set_group_id("g-payments-berlin");
  payments.set_name("Payments Berlin");
  payments.set_sender_posts_90d(2);
  payments.set_sender_comments_90d(5);
  v1::SharedGroup& fintech = *relationship.add_shared_groups();
  fintech.set_group_id("g-fintech-engineers");
  fintech.set_name("Fintech Engineers");
  fintech.set_sender_comments_90d(1);
  // An interview at another company than the recipient's: the after-interview rule looks at it
  // and stays silent.
  v1::HiringEvent& event = *relationship.add_hiring_events();
  event.set_stage(v1::HIRING_STAGE_INTERVIEWED);
  event.set_company_id("umbrella");
  event.mutable_occurred_at()->set_seconds(now_unix_s - 60 * 24 * 3600);
  v1::TwitterRelation& twitter = *relationship.mutable_twitter();
  twitter.set_sender_follows_recipient(true);
  return invitation;
}

}  // namespace etiquette::bench
