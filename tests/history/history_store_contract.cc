// The HistoryStore contract suite's tests (the fixture: history_store_contract.h). Compiled once
// into the object library etiquette_store_contract; each store's test binary links it and
// instantiates the suite (INSTANTIATE_TEST_SUITE_P) with its own StoreFactory.
#include "tests/history/history_store_contract.h"

#include <string>
#include <thread>
#include <vector>

namespace etiquette::testing {

// --- Unknown senders, invitations and windows ---------------------------------------------

TEST_P(HistoryStoreContractTest, UnknownSenderHasAllZeros) {
  ExpectNothingKnown(Facts("c-unknown", "rk-1", T0()));
  ExpectNothingKnown(Facts("c-unknown", "", T0()));
}

TEST_P(HistoryStoreContractTest, RecordInvitationCountsInVolumeAndAcceptanceWindows) {
  const std::string s = "c-volume";
  WriteResult first = Invite(s, "inv-1", "rk-1", T0() - Days(10), T0());
  EXPECT_FALSE(first.duplicate);
  EXPECT_FALSE(first.restriction_started);
  EXPECT_EQ(first.facts.invitations_in_volume_window, 0u);  // 10 days old: outside 7 days
  EXPECT_EQ(first.facts.sent_in_acceptance_window, 1u);
  Invite(s, "inv-2", "rk-2", T0() - Days(3), T0());
  WriteResult third = Invite(s, "inv-3", "rk-3", T0() - absl::Hours(1), T0());
  EXPECT_FALSE(third.duplicate);
  EXPECT_EQ(third.facts.invitations_in_volume_window, 2u);
  EXPECT_EQ(third.facts.sent_in_acceptance_window, 3u);
  EXPECT_EQ(third.facts.accepted_in_acceptance_window, 0u);

  // The same id again, even with another time and recipient, changes nothing.
  WriteResult again = Invite(s, "inv-3", "rk-9", T0(), T0() + absl::Minutes(1));
  EXPECT_TRUE(again.duplicate);
  EXPECT_FALSE(again.restriction_started);
  EXPECT_EQ(again.facts.invitations_in_volume_window, 2u);
  EXPECT_EQ(again.facts.sent_in_acceptance_window, 3u);
  const SenderFacts facts = Facts(s, "rk-9", T0() + absl::Minutes(1));
  EXPECT_EQ(facts.invitations_in_volume_window, 2u);
  EXPECT_EQ(facts.sent_in_acceptance_window, 3u);
  EXPECT_FALSE(facts.pending);  // the duplicate did not mark rk-9 pending
}

TEST_P(HistoryStoreContractTest, VolumeWindowEdgeIsStrict) {
  const std::string s = "c-volume-edge";
  Invite(s, "inv-old", "rk-1", T0() - Days(7), T0());
  Invite(s, "inv-young", "rk-2", T0() - Days(7) + kMs, T0());
  SenderFacts facts = Facts(s, "", T0());
  EXPECT_EQ(facts.invitations_in_volume_window, 1u);
  EXPECT_EQ(facts.sent_in_acceptance_window, 2u);

  // The same edge as time passes, with no write.
  EXPECT_EQ(Facts(s, "", T0() + kMs).invitations_in_volume_window, 0u);
}

TEST_P(HistoryStoreContractTest, AcceptanceWindowEdgeIsStrict) {
  const std::string s = "c-acceptance-edge";
  Invite(s, "inv-old", "rk-1", T0() - Days(14), T0());
  Invite(s, "inv-young", "rk-2", T0() - Days(14) + kMs, T0());
  Respond(s, "inv-old", "rk-1", v1::INVITATION_RESPONSE_ACCEPTED, T0(), T0());
  Respond(s, "inv-young", "rk-2", v1::INVITATION_RESPONSE_ACCEPTED, T0(), T0());
  SenderFacts facts = Facts(s, "", T0());
  EXPECT_EQ(facts.sent_in_acceptance_window, 1u);
  EXPECT_EQ(facts.accepted_in_acceptance_window, 1u);
  facts = Facts(s, "", T0() + kMs);
  EXPECT_EQ(facts.sent_in_acceptance_window, 0u);
  EXPECT_EQ(facts.accepted_in_acceptance_window, 0u);
}

TEST_P(HistoryStoreContractTest, AcceptedInvitationsCountInTheAcceptanceWindow) {
  const std::string s = "c-accept";
  Invite(s, "inv-1", "rk-1", T0(), T0());
  Invite(s, "inv-2", "rk-2", T0(), T0());
  Invite(s, "inv-3", "rk-3", T0(), T0());
  Invite(s, "inv-4", "rk-4", T0(), T0());
  const absl::Time later = T0() + absl::Hours(2);
  WriteResult accepted =
      Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_ACCEPTED, later, later);
  EXPECT_FALSE(accepted.duplicate);
  EXPECT_EQ(accepted.facts.accepted_in_acceptance_window, 1u);
  Respond(s, "inv-2", "rk-2", v1::INVITATION_RESPONSE_ACCEPTED, later, later);
  Respond(s, "inv-3", "rk-3", v1::INVITATION_RESPONSE_IGNORED, later, later);
  SenderFacts facts = Facts(s, "", later);
  EXPECT_EQ(facts.sent_in_acceptance_window, 4u);
  EXPECT_EQ(facts.accepted_in_acceptance_window, 2u);
  EXPECT_EQ(facts.invitations_in_volume_window, 4u);
  EXPECT_EQ(facts.reports_in_window, 0u);

  // Accepted invitations leave the window with their sent_at, not their response time.
  facts = Facts(s, "", T0() + Days(14));
  EXPECT_EQ(facts.sent_in_acceptance_window, 0u);
  EXPECT_EQ(facts.accepted_in_acceptance_window, 0u);
}

TEST_P(HistoryStoreContractTest, FutureEventTimesAreStoredAsNow) {
  const std::string s = "c-future";
  Invite(s, "inv-1", "rk-1", T0() + absl::Hours(1), T0());
  // Stored as T0: it leaves the 7-day window at T0 + 7d, not an hour later.
  EXPECT_EQ(Facts(s, "", T0() + Days(7) - kMs).invitations_in_volume_window, 1u);
  EXPECT_EQ(Facts(s, "", T0() + Days(7)).invitations_in_volume_window, 0u);

  Invite(s, "inv-2", "rk-2", T0(), T0());
  WriteResult withdrawn =
      Respond(s, "inv-2", "rk-2", v1::INVITATION_RESPONSE_WITHDRAWN, T0() + absl::Hours(2), T0());
  EXPECT_EQ(withdrawn.facts.withdrawn_at, T0());
  EXPECT_EQ(Facts(s, "rk-2", T0()).withdrawn_at, T0());

  Invite(s, "inv-3", "rk-3", T0(), T0());
  Respond(s, "inv-3", "rk-3", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, T0() + absl::Hours(3),
          T0());
  EXPECT_EQ(Facts(s, "", T0() + Days(90) - kMs).reports_in_window, 1u);
  EXPECT_EQ(Facts(s, "", T0() + Days(90)).reports_in_window, 0u);
}

// --- Pairs ---------------------------------------------------------------------------------

TEST_P(HistoryStoreContractTest, PendingIsSetByTheInvitationAndClearedByItsResponse) {
  const std::string s = "c-pending";
  WriteResult invited = Invite(s, "inv-1", "rk-1", T0(), T0());
  EXPECT_TRUE(invited.facts.pending);  // write results carry the pair facts of their recipient
  EXPECT_TRUE(Facts(s, "rk-1", T0()).pending);
  EXPECT_FALSE(Facts(s, "rk-2", T0()).pending);
  EXPECT_FALSE(Facts(s, "", T0()).pending);  // no recipient asked: no pair facts

  WriteResult ignored =
      Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_IGNORED, T0() + kMs, T0() + kMs);
  EXPECT_FALSE(ignored.facts.pending);
  EXPECT_FALSE(Facts(s, "rk-1", T0() + kMs).pending);
}

TEST_P(HistoryStoreContractTest, PendingMarkBelongsToTheLatestInvitationOfThePair) {
  const std::string s = "c-pending-two";
  Invite(s, "inv-1", "rk-1", T0(), T0());
  Invite(s, "inv-2", "rk-1", T0() + absl::Hours(1), T0() + absl::Hours(1));
  const absl::Time later = T0() + absl::Hours(2);
  // A response to the older invitation does not answer the pending one.
  WriteResult accepted =
      Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_ACCEPTED, later, later);
  EXPECT_FALSE(accepted.duplicate);
  EXPECT_TRUE(accepted.facts.pending);
  EXPECT_TRUE(Facts(s, "rk-1", later).pending);
  Respond(s, "inv-2", "rk-1", v1::INVITATION_RESPONSE_WITHDRAWN, later, later);
  EXPECT_FALSE(Facts(s, "rk-1", later).pending);
}

TEST_P(HistoryStoreContractTest, WithdrawnStartsTheCooldown) {
  const std::string s = "c-withdrawn";
  Invite(s, "inv-1", "rk-1", T0(), T0());
  const absl::Time withdrawn = T0() + absl::Hours(1);
  WriteResult result =
      Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_WITHDRAWN, withdrawn, withdrawn);
  EXPECT_FALSE(result.duplicate);
  EXPECT_EQ(result.facts.withdrawn_at, withdrawn);
  EXPECT_FALSE(result.facts.pending);
  EXPECT_FALSE(result.facts.recipient_reported_sender);
  EXPECT_EQ(result.facts.reports_in_window, 0u);

  EXPECT_EQ(Facts(s, "rk-1", withdrawn + Days(21) - kMs).withdrawn_at, withdrawn);
  EXPECT_EQ(Facts(s, "rk-1", withdrawn + Days(21)).withdrawn_at, absl::InfinitePast());
  EXPECT_EQ(Facts(s, "rk-2", withdrawn).withdrawn_at, absl::InfinitePast());
  EXPECT_EQ(Facts(s, "", withdrawn).withdrawn_at, absl::InfinitePast());
}

TEST_P(HistoryStoreContractTest, LatestWithdrawalOfThePairWins) {
  const std::string s = "c-withdrawn-latest";
  Invite(s, "inv-1", "rk-1", T0(), T0());
  Invite(s, "inv-2", "rk-1", T0(), T0());
  const absl::Time later = T0() + Days(2);
  Respond(s, "inv-2", "rk-1", v1::INVITATION_RESPONSE_WITHDRAWN, later, later);
  // An older withdrawal recorded afterwards does not move the cool-down back.
  Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_WITHDRAWN, T0() + Days(1), later);
  EXPECT_EQ(Facts(s, "rk-1", later).withdrawn_at, later);
}

TEST_P(HistoryStoreContractTest, ReportedPairStaysReportedAfterTheWindow) {
  const std::string s = "c-reported-pair";
  WriteResult report = InviteAndRespond(s, 1, v1::INVITATION_RESPONSE_REPORTED_SPAM, T0());
  EXPECT_TRUE(report.facts.recipient_reported_sender);
  EXPECT_FALSE(report.facts.pending);
  EXPECT_FALSE(Facts(s, "rk-2", T0()).recipient_reported_sender);

  const SenderFacts later = Facts(s, "rk-1", T0() + Days(91));
  EXPECT_EQ(later.reports_in_window, 0u);
  EXPECT_TRUE(later.recipient_reported_sender);
  // Writes long after the report do not forget it either.
  Invite(s, "inv-late", "rk-2", T0() + Days(200), T0() + Days(200));
  EXPECT_TRUE(Facts(s, "rk-1", T0() + Days(200)).recipient_reported_sender);
}

// --- Bounded state: pruning and the cap ----------------------------------------------------

TEST_P(HistoryStoreContractTest, PendingMarkGoesWithItsInvitationPastTheLongestWindow) {
  const std::string s = "c-pending-pruned";
  Invite(s, "inv-1", "rk-1", T0(), T0());
  // Writes prune: until 90 days on, the invitation and its mark stay.
  Invite(s, "inv-2", "rk-2", T0(), T0() + Days(90) - kMs);
  EXPECT_TRUE(Facts(s, "rk-1", T0() + Days(90) - kMs).pending);
  Invite(s, "inv-3", "rk-3", T0() + Days(90), T0() + Days(90));
  EXPECT_FALSE(Facts(s, "rk-1", T0() + Days(90)).pending);
  EXPECT_TRUE(Facts(s, "rk-3", T0() + Days(90)).pending);
}

TEST_P(HistoryStoreContractTest, ReporterGoesPastItsRetention) {
  const std::string s = "c-reporter-pruned";
  InviteAndRespond(s, 1, v1::INVITATION_RESPONSE_REPORTED_SPAM, T0());
  const absl::Time kept = T0() + ReporterRetention(policy()) - kMs;
  Invite(s, "inv-a", "rk-a", kept, kept);
  EXPECT_TRUE(Facts(s, "rk-1", kept).recipient_reported_sender);
  const absl::Time gone = T0() + ReporterRetention(policy());
  Invite(s, "inv-b", "rk-b", gone, gone);
  EXPECT_FALSE(Facts(s, "rk-1", gone).recipient_reported_sender);
}

TEST_P(HistoryStoreContractTest, CapDropsTheOldestInvitationsFirst) {
  StorePolicy capped = policy();
  capped.max_records_per_sender = 1;  // counts as kMinRecordsPerSender
  UsePolicy(capped);
  const std::string s = "c-cap";
  const int total = static_cast<int>(kMinRecordsPerSender) + 6;
  WriteResult last;
  for (int i = 0; i < total; ++i) {
    // Sent in reverse order of their ids, a minute apart: the first ids are the newest.
    const absl::Time sent = T0() + absl::Minutes(total - i);
    last = Invite(s, absl::StrCat("inv-", i), absl::StrCat("rk-", i), sent, T0() + absl::Hours(2));
  }
  EXPECT_EQ(last.facts.invitations_in_volume_window, kMinRecordsPerSender);
  const absl::Time now = T0() + absl::Hours(2);
  EXPECT_EQ(Facts(s, "", now).sent_in_acceptance_window, kMinRecordsPerSender);
  for (int i = 0; i < total; ++i) {
    // The six oldest (the last six ids) went, with their pending marks.
    EXPECT_EQ(Facts(s, absl::StrCat("rk-", i), now).pending, i < total - 6) << i;
  }
}

TEST_P(HistoryStoreContractTest, CapDropsTheOldestReportersFirst) {
  StorePolicy capped = policy();
  capped.max_records_per_sender = kMinRecordsPerSender;
  UsePolicy(capped);
  const std::string s = "c-cap-reporters";
  const int total = static_cast<int>(kMinRecordsPerSender) + 3;
  ReportMany(s, 0, total, T0());
  const absl::Time now = T0() + absl::Minutes(total);
  for (int i = 0; i < total; ++i) {
    EXPECT_EQ(Facts(s, absl::StrCat("rk-", i), now).recipient_reported_sender, i >= 3) << i;
  }
}

// --- Reports -------------------------------------------------------------------------------

TEST_P(HistoryStoreContractTest, SameRecipientReportingTwiceCountsOnce) {
  const std::string s = "c-distinct";
  Invite(s, "inv-a1", "rk-a", T0(), T0());
  Invite(s, "inv-a2", "rk-a", T0(), T0());
  Invite(s, "inv-b1", "rk-b", T0(), T0());
  const absl::Time at = T0() + absl::Hours(1);
  Respond(s, "inv-a1", "rk-a", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, at, at);
  WriteResult second =
      Respond(s, "inv-a2", "rk-a", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, at, at);
  EXPECT_FALSE(second.duplicate);  // another invitation: recorded, but the same reporter
  EXPECT_EQ(second.facts.reports_in_window, 1u);
  Respond(s, "inv-b1", "rk-b", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, at, at);
  EXPECT_EQ(Facts(s, "", at).reports_in_window, 2u);
}

TEST_P(HistoryStoreContractTest, LatestReportTimeOfARecipientWins) {
  const std::string s = "c-latest-report";
  const absl::Time early = T0();
  const absl::Time late = T0() + Days(60);
  Invite(s, "inv-a1", "rk-a", early, early);
  Invite(s, "inv-b1", "rk-b", early, early);
  Respond(s, "inv-a1", "rk-a", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, early, early);
  Respond(s, "inv-b1", "rk-b", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, early, early);
  Invite(s, "inv-a2", "rk-a", late, late);
  Respond(s, "inv-a2", "rk-a", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, late, late);
  // rk-b's only report leaves the window at early + 90d; rk-a's latest one keeps counting.
  EXPECT_EQ(Facts(s, "", early + Days(90) - kMs).reports_in_window, 2u);
  EXPECT_EQ(Facts(s, "", early + Days(90)).reports_in_window, 1u);

  // An older report recorded afterwards does not move rk-a's latest report back.
  Invite(s, "inv-a3", "rk-a", early, late + kMs);
  Respond(s, "inv-a3", "rk-a", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, early + kMs, late + kMs);
  EXPECT_EQ(Facts(s, "", early + Days(90) + kMs).reports_in_window, 1u);
}

TEST_P(HistoryStoreContractTest, SpamCountsDistinctReportersWhoEverChoseSpam) {
  const std::string s = "c-spam";
  const absl::Time at = T0();
  Invite(s, "inv-a", "rk-a", at, at);
  Invite(s, "inv-b", "rk-b", at, at);
  Invite(s, "inv-c1", "rk-c", at, at);
  Invite(s, "inv-c2", "rk-c", at, at);
  Invite(s, "inv-d1", "rk-d", at, at);
  Invite(s, "inv-d2", "rk-d", at, at);
  Respond(s, "inv-a", "rk-a", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, at, at);
  Respond(s, "inv-b", "rk-b", v1::INVITATION_RESPONSE_REPORTED_SPAM, at, at);
  Respond(s, "inv-c1", "rk-c", v1::INVITATION_RESPONSE_REPORTED_SPAM, at, at);
  Respond(s, "inv-c2", "rk-c", v1::INVITATION_RESPONSE_REPORTED_SPAM, at, at);
  Respond(s, "inv-d1", "rk-d", v1::INVITATION_RESPONSE_REPORTED_SPAM, at, at);
  // rk-d's later report is only "I don't know": rk-d still chose spam once.
  WriteResult last =
      Respond(s, "inv-d2", "rk-d", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, at + kMs, at + kMs);
  EXPECT_EQ(last.facts.reports_in_window, 4u);
  EXPECT_EQ(last.facts.spam_reports_in_window, 3u);
  EXPECT_EQ(Facts(s, "", at + Days(90) - kMs).spam_reports_in_window, 3u);
  EXPECT_EQ(Facts(s, "", at + Days(90) + kMs).spam_reports_in_window, 0u);
}

TEST_P(HistoryStoreContractTest, ReportWindowEdgeIsStrict) {
  const std::string s = "c-report-edge";
  Invite(s, "inv-1", "rk-1", T0() - Days(100), T0());
  Invite(s, "inv-2", "rk-2", T0() - Days(100), T0());
  Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, T0() - Days(90), T0());
  WriteResult inside = Respond(s, "inv-2", "rk-2", v1::INVITATION_RESPONSE_REPORTED_SPAM,
                               T0() - Days(90) + kMs, T0());
  EXPECT_EQ(inside.facts.reports_in_window, 1u);
  EXPECT_EQ(inside.facts.spam_reports_in_window, 1u);
  EXPECT_EQ(Facts(s, "", T0() + kMs).reports_in_window, 0u);
}

TEST_P(HistoryStoreContractTest, ReportsOlderThanTheWindowAreRecordedButDoNotCount) {
  const std::string s = "c-old-report";
  Invite(s, "inv-1", "rk-1", T0() - Days(100), T0());
  WriteResult old =
      Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_REPORTED_SPAM, T0() - Days(91), T0());
  EXPECT_FALSE(old.duplicate);
  EXPECT_FALSE(old.restriction_started);
  EXPECT_EQ(old.facts.reports_in_window, 0u);
  EXPECT_EQ(old.facts.spam_reports_in_window, 0u);
  EXPECT_TRUE(old.facts.recipient_reported_sender);
  EXPECT_FALSE(old.facts.pending);
  const SenderFacts facts = Facts(s, "rk-1", T0());
  EXPECT_EQ(facts.reports_in_window, 0u);
  EXPECT_TRUE(facts.recipient_reported_sender);
}

// --- Escalation, duplicates and invalid responses ------------------------------------------

TEST_P(HistoryStoreContractTest, ResponsesEscalateFromIgnoredToUnknownToSpam) {
  const std::string s = "c-escalate";
  Invite(s, "inv-1", "rk-1", T0(), T0());
  const absl::Time t1 = T0() + absl::Hours(1);
  WriteResult ignored = Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_IGNORED, t1, t1);
  EXPECT_FALSE(ignored.duplicate);
  EXPECT_EQ(ignored.facts.reports_in_window, 0u);
  EXPECT_FALSE(ignored.facts.recipient_reported_sender);

  const absl::Time t2 = T0() + absl::Hours(2);
  WriteResult unknown =
      Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, t2, t2);
  EXPECT_FALSE(unknown.duplicate);
  EXPECT_EQ(unknown.facts.reports_in_window, 1u);
  EXPECT_EQ(unknown.facts.spam_reports_in_window, 0u);
  EXPECT_TRUE(unknown.facts.recipient_reported_sender);

  const absl::Time t3 = T0() + absl::Hours(3);
  WriteResult spam = Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_REPORTED_SPAM, t3, t3);
  EXPECT_FALSE(spam.duplicate);
  EXPECT_EQ(spam.facts.reports_in_window, 1u);
  EXPECT_EQ(spam.facts.spam_reports_in_window, 1u);

  const absl::Time t4 = T0() + absl::Hours(4);
  WriteResult back = Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, t4, t4);
  EXPECT_TRUE(back.duplicate);
  EXPECT_EQ(back.facts.reports_in_window, 1u);
  EXPECT_EQ(back.facts.spam_reports_in_window, 1u);
  EXPECT_TRUE(Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_IGNORED, t4, t4).duplicate);
  EXPECT_TRUE(Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_ACCEPTED, t4, t4).duplicate);
  EXPECT_TRUE(Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_REPORTED_SPAM, t4, t4).duplicate);
}

TEST_P(HistoryStoreContractTest, EscalationMayStartAtAnyStepOfTheChain) {
  const std::string s = "c-escalate-skip";
  Invite(s, "inv-1", "rk-1", T0(), T0());
  EXPECT_FALSE(Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_IGNORED, T0(), T0()).duplicate);
  WriteResult spam = Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_REPORTED_SPAM, T0(), T0());
  EXPECT_FALSE(spam.duplicate);  // IGNORED -> REPORTED_SPAM skips a step: still an escalation
  EXPECT_EQ(spam.facts.spam_reports_in_window, 1u);
}

TEST_P(HistoryStoreContractTest, NonEscalatingRepeatsAreDuplicates) {
  const std::string s = "c-duplicates";
  for (const char* id : {"inv-1", "inv-2", "inv-3", "inv-4", "inv-5"}) {
    Invite(s, id, "rk-1", T0(), T0());
  }
  const absl::Time at = T0() + absl::Hours(1);
  // ACCEPTED after IGNORED is not an escalation.
  Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_IGNORED, at, at);
  WriteResult accepted = Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_ACCEPTED, at, at);
  EXPECT_TRUE(accepted.duplicate);
  EXPECT_EQ(accepted.facts.accepted_in_acceptance_window, 0u);
  // The same response twice.
  EXPECT_FALSE(Respond(s, "inv-2", "rk-1", v1::INVITATION_RESPONSE_ACCEPTED, at, at).duplicate);
  WriteResult twice = Respond(s, "inv-2", "rk-1", v1::INVITATION_RESPONSE_ACCEPTED, at, at);
  EXPECT_TRUE(twice.duplicate);
  EXPECT_EQ(twice.facts.accepted_in_acceptance_window, 1u);
  // A report after ACCEPTED or WITHDRAWN: those are off the chain.
  WriteResult after_accept =
      Respond(s, "inv-2", "rk-1", v1::INVITATION_RESPONSE_REPORTED_SPAM, at, at);
  EXPECT_TRUE(after_accept.duplicate);
  EXPECT_EQ(after_accept.facts.reports_in_window, 0u);
  EXPECT_FALSE(after_accept.facts.recipient_reported_sender);
  Respond(s, "inv-3", "rk-1", v1::INVITATION_RESPONSE_WITHDRAWN, at, at);
  EXPECT_TRUE(
      Respond(s, "inv-3", "rk-1", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, at, at).duplicate);
  EXPECT_TRUE(Respond(s, "inv-3", "rk-1", v1::INVITATION_RESPONSE_ACCEPTED, at, at).duplicate);
  // IGNORED after a report is a step back.
  Respond(s, "inv-4", "rk-1", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, at, at);
  EXPECT_TRUE(Respond(s, "inv-4", "rk-1", v1::INVITATION_RESPONSE_IGNORED, at, at).duplicate);

  const SenderFacts facts = Facts(s, "rk-1", at);
  EXPECT_EQ(facts.sent_in_acceptance_window, 5u);
  EXPECT_EQ(facts.accepted_in_acceptance_window, 1u);
  EXPECT_EQ(facts.reports_in_window, 1u);
  EXPECT_EQ(facts.spam_reports_in_window, 0u);
  EXPECT_TRUE(facts.pending);  // inv-5, the latest invitation of the pair, is unanswered
}

TEST_P(HistoryStoreContractTest, ResponseToAnUnknownInvitationIsRecordedButNotCountedAsSent) {
  const std::string s = "c-unknown-invitation";
  WriteResult accepted = Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_ACCEPTED, T0(), T0());
  EXPECT_FALSE(accepted.duplicate);
  EXPECT_EQ(accepted.facts.invitations_in_volume_window, 0u);
  EXPECT_EQ(accepted.facts.sent_in_acceptance_window, 0u);
  EXPECT_EQ(accepted.facts.accepted_in_acceptance_window, 0u);

  WriteResult report =
      Respond(s, "inv-2", "rk-2", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, T0(), T0());
  EXPECT_FALSE(report.duplicate);
  EXPECT_EQ(report.facts.reports_in_window, 1u);
  EXPECT_TRUE(report.facts.recipient_reported_sender);
  EXPECT_EQ(report.facts.sent_in_acceptance_window, 0u);

  // It is known from now on: repeats are duplicates, escalations are recorded, another
  // recipient is refused, and recording it as sent changes nothing.
  EXPECT_TRUE(
      Respond(s, "inv-2", "rk-2", v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, T0(), T0()).duplicate);
  WriteResult spam = Respond(s, "inv-2", "rk-2", v1::INVITATION_RESPONSE_REPORTED_SPAM, T0(), T0());
  EXPECT_FALSE(spam.duplicate);
  EXPECT_EQ(spam.facts.spam_reports_in_window, 1u);
  EXPECT_EQ(store()
                .RecordResponse(s, "inv-2", "rk-3", v1::INVITATION_RESPONSE_ACCEPTED, T0(), T0())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  WriteResult invited = Invite(s, "inv-1", "rk-1", T0(), T0());
  EXPECT_TRUE(invited.duplicate);
  EXPECT_EQ(invited.facts.invitations_in_volume_window, 0u);
  EXPECT_FALSE(invited.facts.pending);
}

TEST_P(HistoryStoreContractTest, ResponseWithAnotherRecipientIsInvalidArgument) {
  const std::string s = "c-mismatch";
  Invite(s, "inv-1", "rk-1", T0(), T0());
  absl::StatusOr<WriteResult> result =
      store().RecordResponse(s, "inv-1", "rk-2", v1::INVITATION_RESPONSE_REPORTED_SPAM, T0(), T0());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  // Nothing changed.
  EXPECT_TRUE(Facts(s, "rk-1", T0()).pending);
  const SenderFacts other = Facts(s, "rk-2", T0());
  EXPECT_FALSE(other.recipient_reported_sender);
  EXPECT_EQ(other.reports_in_window, 0u);
  // The right recipient is still recorded normally.
  EXPECT_FALSE(
      Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_REPORTED_SPAM, T0(), T0()).duplicate);
}

TEST_P(HistoryStoreContractTest, UnspecifiedResponseIsInvalidArgument) {
  const std::string s = "c-unspecified";
  Invite(s, "inv-1", "rk-1", T0(), T0());
  EXPECT_EQ(store()
                .RecordResponse(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_UNSPECIFIED, T0(), T0())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      store()
          .RecordResponse(s, "inv-unknown", "rk-1", v1::INVITATION_RESPONSE_UNSPECIFIED, T0(), T0())
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Facts(s, "rk-1", T0()).pending);
  // Neither call recorded the id: a real response is still the first one.
  EXPECT_FALSE(Respond(s, "inv-1", "rk-1", v1::INVITATION_RESPONSE_ACCEPTED, T0(), T0()).duplicate);
  EXPECT_FALSE(
      Respond(s, "inv-unknown", "rk-1", v1::INVITATION_RESPONSE_ACCEPTED, T0(), T0()).duplicate);
}

// --- Restrictions --------------------------------------------------------------------------

TEST_P(HistoryStoreContractTest, FifthReportStartsARestriction) {
  const std::string s = "c-threshold";
  WriteResult fourth = ReportMany(s, 1, 4, T0());
  EXPECT_FALSE(fourth.restriction_started);
  EXPECT_EQ(fourth.facts.reports_in_window, 4u);
  EXPECT_EQ(fourth.facts.offense_count, 0u);
  EXPECT_EQ(fourth.facts.restriction_start, absl::InfinitePast());
  EXPECT_EQ(fourth.facts.restriction_end, absl::InfinitePast());
  EXPECT_EQ(fourth.facts.reason, "");

  const absl::Time at = T0() + absl::Hours(1);
  WriteResult fifth = InviteAndRespond(s, 5, v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, at);
  EXPECT_FALSE(fifth.duplicate);
  EXPECT_TRUE(fifth.restriction_started);
  EXPECT_EQ(fifth.facts.offense_count, 1u);
  EXPECT_EQ(fifth.facts.restriction_start, at);
  EXPECT_EQ(fifth.facts.restriction_end, at + Days(7));
  EXPECT_EQ(fifth.facts.reports_in_window, 0u);  // the clean slate at `at`
  EXPECT_EQ(fifth.facts.spam_reports_in_window, 0u);
  EXPECT_EQ(fifth.facts.reason, "5 reports in 90 days");

  const SenderFacts read = Facts(s, "rk-5", at);
  EXPECT_TRUE(Restricted(read, at));
  EXPECT_EQ(read.offense_count, 1u);
  EXPECT_EQ(read.restriction_end, at + Days(7));
  EXPECT_EQ(read.reports_in_window, 0u);
  EXPECT_TRUE(read.recipient_reported_sender);  // the clean slate does not unblock the pair

  // Only the write that started it says so.
  WriteResult next = Invite(s, "c-threshold-next", "rk-99", at + kMs, at + kMs);
  EXPECT_FALSE(next.restriction_started);
  EXPECT_EQ(next.facts.offense_count, 1u);
}

TEST_P(HistoryStoreContractTest, RestrictionExpiresAtItsEndWithoutAWrite) {
  const std::string s = "c-expiry";
  const absl::Time start = T0();
  RestrictAt(s, 1, start);
  const absl::Time end = start + Days(7);
  const SenderFacts before = Facts(s, "", end - kMs);
  EXPECT_TRUE(Restricted(before, end - kMs));
  EXPECT_EQ(before.restriction_start, start);
  EXPECT_EQ(before.restriction_end, end);
  const SenderFacts after = Facts(s, "", end);
  EXPECT_FALSE(Restricted(after, end));
  EXPECT_EQ(after.restriction_start, start);
  EXPECT_EQ(after.restriction_end, end);
  EXPECT_EQ(after.offense_count, 1u);
}

TEST_P(HistoryStoreContractTest, ReportsDuringAnActiveRestrictionDoNotStartAnother) {
  const std::string s = "c-during";
  const absl::Time start = T0();
  RestrictAt(s, 1, start);
  // Five more distinct reporters while restricted: they count, but start nothing.
  WriteResult during = ReportMany(s, 6, 5, start + Days(1));
  EXPECT_FALSE(during.restriction_started);
  EXPECT_EQ(during.facts.reports_in_window, 5u);
  EXPECT_EQ(during.facts.offense_count, 1u);
  EXPECT_EQ(during.facts.restriction_start, start);
  EXPECT_EQ(during.facts.restriction_end, start + Days(7));
  // Still restricted 1 ms before the end: another report starts nothing.
  const absl::Time end = start + Days(7);
  WriteResult last_moment =
      InviteAndRespond(s, 11, v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, end - kMs);
  EXPECT_FALSE(last_moment.restriction_started);
  EXPECT_EQ(last_moment.facts.offense_count, 1u);
  EXPECT_EQ(last_moment.facts.reports_in_window, 6u);
}

TEST_P(HistoryStoreContractTest, ThresholdReachedWhileRestrictedRestrictsOnFirstReportAfter) {
  // The rule: after every recorded report, reports_in_window >= restrict_reports with no
  // restriction active starts one, even when the count got there during the last one.
  const std::string s = "c-after-expiry";
  const absl::Time start = T0();
  RestrictAt(s, 1, start);
  ReportMany(s, 6, 5, start + Days(1));
  const absl::Time end = start + Days(7);
  EXPECT_EQ(Facts(s, "", end).reports_in_window, 5u);  // no write, nothing started
  EXPECT_EQ(Facts(s, "", end).offense_count, 1u);
  WriteResult report = InviteAndRespond(s, 11, v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, end);
  EXPECT_TRUE(report.restriction_started);
  EXPECT_EQ(report.facts.offense_count, 2u);
  EXPECT_EQ(report.facts.restriction_start, end);
  EXPECT_EQ(report.facts.restriction_end, end + Days(30));
  EXPECT_EQ(report.facts.reports_in_window, 0u);
}

TEST_P(HistoryStoreContractTest, LadderGoesSevenDaysThirtyDaysThenIndefinite) {
  const std::string s = "c-ladder";
  const absl::Time first = T0();
  WriteResult one = RestrictAt(s, 1, first);
  EXPECT_EQ(one.facts.offense_count, 1u);
  EXPECT_EQ(one.facts.restriction_end, first + Days(7));

  const absl::Time second = first + Days(8);
  WriteResult two = RestrictAt(s, 6, second);
  EXPECT_EQ(two.facts.offense_count, 2u);
  EXPECT_EQ(two.facts.restriction_start, second);
  EXPECT_EQ(two.facts.restriction_end, second + Days(30));
  EXPECT_EQ(two.facts.reports_in_window, 0u);

  const absl::Time third = second + Days(31);
  WriteResult three = RestrictAt(s, 11, third);
  EXPECT_EQ(three.facts.offense_count, 3u);
  EXPECT_EQ(three.facts.restriction_start, third);
  EXPECT_EQ(three.facts.restriction_end, absl::InfiniteFuture());
  EXPECT_EQ(three.facts.reason, "5 reports in 90 days");

  const SenderFacts years_later = Facts(s, "", third + Days(3650));
  EXPECT_TRUE(Restricted(years_later, third + Days(3650)));
  EXPECT_EQ(years_later.offense_count, 3u);
}

TEST_P(HistoryStoreContractTest, ReleaseEndsTheRestrictionAndStartsACleanSlate) {
  const std::string s = "c-release";
  const absl::Time start = T0();
  RestrictAt(s, 1, start);
  ReportMany(s, 6, 2, start + absl::Hours(1));
  EXPECT_EQ(Facts(s, "", start + absl::Hours(2)).reports_in_window, 2u);

  const absl::Time release = start + Days(1);
  const SenderFacts released = ReleaseAt(s, "appeal accepted", release);
  EXPECT_EQ(released.restriction_start, start);
  EXPECT_EQ(released.restriction_end, release);
  EXPECT_FALSE(Restricted(released, release));
  EXPECT_EQ(released.offense_count, 1u);
  EXPECT_EQ(released.reason, "appeal accepted");
  EXPECT_EQ(released.reports_in_window, 0u);
  EXPECT_FALSE(released.recipient_reported_sender);  // no pair facts from Release
  const SenderFacts read = Facts(s, "rk-1", release + absl::Hours(1));
  EXPECT_EQ(read.restriction_end, release);
  EXPECT_EQ(read.reason, "appeal accepted");
  EXPECT_EQ(read.reports_in_window, 0u);
  EXPECT_TRUE(read.recipient_reported_sender);  // reporters stay blocked

  // Reports after the release count again; the next restriction is the 2nd offense.
  WriteResult after = ReportMany(s, 8, 1, release + Days(1));
  EXPECT_EQ(after.facts.reports_in_window, 1u);
  WriteResult fourth = ReportMany(s, 9, 3, release + Days(2));
  EXPECT_FALSE(fourth.restriction_started);
  EXPECT_EQ(fourth.facts.reports_in_window, 4u);
  const absl::Time again = release + Days(3);
  WriteResult fifth = InviteAndRespond(s, 12, v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, again);
  EXPECT_TRUE(fifth.restriction_started);
  EXPECT_EQ(fifth.facts.offense_count, 2u);
  EXPECT_EQ(fifth.facts.restriction_end, again + Days(30));
}

TEST_P(HistoryStoreContractTest, ReleaseEndsAnIndefiniteRestriction) {
  const std::string s = "c-release-indefinite";
  RestrictAt(s, 1, T0());
  RestrictAt(s, 6, T0() + Days(8));
  RestrictAt(s, 11, T0() + Days(40));
  const absl::Time release = T0() + Days(400);
  EXPECT_EQ(Facts(s, "", release).restriction_end, absl::InfiniteFuture());
  const SenderFacts released = ReleaseAt(s, "operator review", release);
  EXPECT_EQ(released.restriction_end, release);
  EXPECT_EQ(released.offense_count, 3u);
  EXPECT_FALSE(Restricted(Facts(s, "", release), release));
}

TEST_P(HistoryStoreContractTest, ReleaseWithoutARestrictionStartsACleanSlate) {
  const std::string s = "c-release-unrestricted";
  ReportMany(s, 1, 3, T0());
  const absl::Time release = T0() + absl::Hours(1);
  const SenderFacts released = ReleaseAt(s, "false reports", release);
  EXPECT_EQ(released.reports_in_window, 0u);
  EXPECT_EQ(released.offense_count, 0u);
  EXPECT_EQ(released.restriction_start, absl::InfinitePast());
  EXPECT_EQ(released.restriction_end, absl::InfinitePast());
  EXPECT_EQ(released.reason, "false reports");
  // Two more reports: 2, not 5, so no restriction.
  WriteResult after = ReportMany(s, 4, 2, release + kMs);
  EXPECT_FALSE(after.restriction_started);
  EXPECT_EQ(after.facts.reports_in_window, 2u);
}

TEST_P(HistoryStoreContractTest, ReleaseAfterTheRestrictionEndedKeepsItsEnd) {
  const std::string s = "c-release-expired";
  RestrictAt(s, 1, T0());
  const absl::Time release = T0() + Days(10);
  const SenderFacts released = ReleaseAt(s, "late appeal", release);
  EXPECT_EQ(released.restriction_end, T0() + Days(7));
  EXPECT_EQ(released.reason, "late appeal");
  EXPECT_EQ(released.offense_count, 1u);
}

// --- Batch, Forget, Ping, concurrency ------------------------------------------------------

TEST_P(HistoryStoreContractTest, BatchGetFactsAnswersInQueryOrder) {
  const std::string a = "c-batch-a";
  const std::string b = "c-batch-b";
  Invite(a, "inv-a1", "rk-1", T0(), T0());
  Invite(a, "inv-a2", "rk-2", T0(), T0());
  InviteAndRespond(b, 1, v1::INVITATION_RESPONSE_REPORTED_SPAM, T0());

  absl::StatusOr<std::vector<SenderFacts>> all = store().BatchGetFacts(
      {{b, "rk-1"}, {"c-batch-unknown", "rk-1"}, {a, ""}, {a, "rk-1"}, {b, ""}}, T0());
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[0].reports_in_window, 1u);
  EXPECT_EQ((*all)[0].spam_reports_in_window, 1u);
  EXPECT_EQ((*all)[0].invitations_in_volume_window, 1u);
  EXPECT_TRUE((*all)[0].recipient_reported_sender);
  ExpectNothingKnown((*all)[1]);
  EXPECT_EQ((*all)[2].invitations_in_volume_window, 2u);
  EXPECT_EQ((*all)[2].reports_in_window, 0u);
  EXPECT_FALSE((*all)[2].pending);  // no recipient asked
  EXPECT_EQ((*all)[3].invitations_in_volume_window, 2u);
  EXPECT_TRUE((*all)[3].pending);
  EXPECT_FALSE((*all)[3].recipient_reported_sender);
  EXPECT_EQ((*all)[4].reports_in_window, 1u);
  EXPECT_FALSE((*all)[4].recipient_reported_sender);  // no recipient asked

  absl::StatusOr<std::vector<SenderFacts>> none = store().BatchGetFacts({}, T0());
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

TEST_P(HistoryStoreContractTest, ForgetRemovesEverythingOfTheSender) {
  const std::string s = "c-forget";
  const std::string other = "c-forget-other";
  RestrictAt(s, 1, T0());
  Invite(s, "inv-pending", "rk-7", T0(), T0());
  Invite(s, "inv-w", "rk-8", T0(), T0());
  Respond(s, "inv-w", "rk-8", v1::INVITATION_RESPONSE_WITHDRAWN, T0(), T0());
  Invite(other, "inv-o", "rk-1", T0(), T0());

  ASSERT_TRUE(store().Forget(s).ok());
  ExpectNothingKnown(Facts(s, "", T0()));
  ExpectNothingKnown(Facts(s, "rk-1", T0()));  // no longer reported
  ExpectNothingKnown(Facts(s, "rk-7", T0()));  // no longer pending
  ExpectNothingKnown(Facts(s, "rk-8", T0()));  // no cool-down
  // Invitation ids are forgotten too.
  EXPECT_FALSE(Invite(s, "inv-pending", "rk-7", T0(), T0()).duplicate);
  // Another sender keeps everything.
  const SenderFacts kept = Facts(other, "rk-1", T0());
  EXPECT_EQ(kept.invitations_in_volume_window, 1u);
  EXPECT_TRUE(kept.pending);
  // Forgetting an unknown sender is fine.
  EXPECT_TRUE(store().Forget("c-forget-never-seen").ok());
}

// ForgetMember as a recipient and reporter: at every sender, the pair's pending mark,
// cool-down and reported flag go; what the sender's standing counts stays (README, "Erasure").
TEST_P(HistoryStoreContractTest, ForgetMemberAsRecipientKeepsCountsWithoutTheIdentity) {
  const std::string a = "c-forget-a";
  const std::string b = "c-forget-b";
  // rk-1 (the member) reports a (spam) and four others report it too: a is restricted.
  RestrictAt(a, 1, T0());
  Respond(a, "c-forget-a-inv-1", "rk-1", v1::INVITATION_RESPONSE_REPORTED_SPAM, T0(), T0());
  // b invites rk-1 twice: one pending, one withdrawn (a cool-down), one accepted by rk-9.
  Invite(b, "inv-b1", "rk-1", T0(), T0());
  Respond(b, "inv-b1", "rk-1", v1::INVITATION_RESPONSE_WITHDRAWN, T0(), T0());
  Invite(b, "inv-b2", "rk-1", T0(), T0());
  InviteAndRespond(b, 9, v1::INVITATION_RESPONSE_ACCEPTED, T0());
  const SenderFacts a_before = Facts(a, "", T0());
  const SenderFacts b_before = Facts(b, "", T0());
  ASSERT_TRUE(Facts(a, "rk-1", T0()).recipient_reported_sender);
  ASSERT_TRUE(Facts(b, "rk-1", T0()).pending);

  absl::StatusOr<uint64_t> removed = store().ForgetMember("c-forget-member", "rk-1");
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_GT(*removed, 0u);
  for (const std::string& sender : {a, b}) {
    const SenderFacts pair = Facts(sender, "rk-1", T0());
    EXPECT_FALSE(pair.recipient_reported_sender) << sender;
    EXPECT_FALSE(pair.pending) << sender;
    EXPECT_EQ(pair.withdrawn_at, absl::InfinitePast()) << sender;
  }
  // The counts stay: a is as restricted as before, b's volume and acceptance unchanged.
  const SenderFacts a_after = Facts(a, "", T0());
  EXPECT_EQ(a_after.reports_in_window, a_before.reports_in_window);
  EXPECT_EQ(a_after.spam_reports_in_window, a_before.spam_reports_in_window);
  EXPECT_EQ(a_after.offense_count, 1u);
  EXPECT_TRUE(Restricted(a_after, T0()));
  const SenderFacts b_after = Facts(b, "", T0());
  EXPECT_EQ(b_after.invitations_in_volume_window, b_before.invitations_in_volume_window);
  EXPECT_EQ(b_after.sent_in_acceptance_window, b_before.sent_in_acceptance_window);
  EXPECT_EQ(b_after.accepted_in_acceptance_window, b_before.accepted_in_acceptance_window);
  // Other pairs are untouched.
  EXPECT_TRUE(Facts(a, "rk-2", T0()).recipient_reported_sender);
  // Idempotent.
  absl::StatusOr<uint64_t> again = store().ForgetMember("c-forget-member", "rk-1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 0u);
  // Later writes about the pair are new data, recorded as usual.
  Invite(b, "inv-b3", "rk-1", T0() + kMs, T0() + kMs);
  EXPECT_TRUE(Facts(b, "rk-1", T0() + kMs).pending);
}

// Key rotation (docs/key-rotation.md): what was written under key A is found once key B writes
// (keys {B, A}); the next write about a pair moves the pair to B (found under B alone after);
// counts never count a pair twice; a pair written under both keys (replicas on either during a
// rollout) merges; ForgetMember with both keys leaves nothing under either.
TEST_P(HistoryStoreContractTest, KeyRotationFindsOldKeyDataAndMovesItOnWrite) {
  const std::string s = "c-rotation";
  const RecipientKeys m_a = Keys({{"aa", "rk-rot-m-a"}});
  const RecipientKeys m_b = Keys({{"bb", "rk-rot-m-b"}});
  const RecipientKeys m_ba = Keys({{"bb", "rk-rot-m-b"}, {"aa", "rk-rot-m-a"}});
  const RecipientKeys n_a = Keys({{"aa", "rk-rot-n-a"}});
  const RecipientKeys n_b = Keys({{"bb", "rk-rot-n-b"}});
  const RecipientKeys n_ba = Keys({{"bb", "rk-rot-n-b"}, {"aa", "rk-rot-n-a"}});
  const RecipientKeys p_a = Keys({{"aa", "rk-rot-p-a"}});
  const RecipientKeys p_b = Keys({{"bb", "rk-rot-p-b"}});
  const RecipientKeys p_ba = Keys({{"bb", "rk-rot-p-b"}, {"aa", "rk-rot-p-a"}});
  absl::Time t = T0();
  auto next = [&t] { return t += absl::Minutes(1); };
  // Under A alone: m withdrawn (a cool-down) and invited again (pending); n reported (spam).
  Invite(s, "rot-m-1", m_a, next(), t);
  Respond(s, "rot-m-1", m_a, v1::INVITATION_RESPONSE_WITHDRAWN, next(), t);
  const absl::Time withdrawn = t;
  Invite(s, "rot-m-2", m_a, next(), t);
  Invite(s, "rot-n-1", n_a, next(), t);
  Respond(s, "rot-n-1", n_a, v1::INVITATION_RESPONSE_REPORTED_SPAM, next(), t);
  const SenderFacts before = Facts(s, "", t);
  ASSERT_EQ(before.reports_in_window, 1u);
  ASSERT_EQ(before.invitations_in_volume_window, 3u);

  // B writes, A still read: everything is found.
  SenderFacts m = Facts(s, m_ba, t);
  EXPECT_TRUE(m.pending);
  EXPECT_EQ(m.withdrawn_at, withdrawn);
  EXPECT_TRUE(Facts(s, n_ba, t).recipient_reported_sender);
  EXPECT_FALSE(Facts(s, m_b, t).pending) << "B alone knows nothing yet";
  // A write about m under {B, A}: the response to an invitation recorded under A is the same
  // pair; m's data moves to B.
  WriteResult answered = Respond(s, "rot-m-2", m_ba, v1::INVITATION_RESPONSE_ACCEPTED, next(), t);
  EXPECT_FALSE(answered.duplicate);
  EXPECT_FALSE(answered.facts.pending);
  EXPECT_EQ(answered.facts.withdrawn_at, withdrawn);
  EXPECT_EQ(answered.facts.accepted_in_acceptance_window, 1u);
  m = Facts(s, m_b, t);
  EXPECT_EQ(m.withdrawn_at, withdrawn) << "moved to B";
  EXPECT_FALSE(m.pending);
  EXPECT_EQ(Facts(s, m_a, t).withdrawn_at, absl::InfinitePast()) << "nothing left under A";
  // n reports again, under {B, A}: one reporter, not two; its entry moves to B.
  Invite(s, "rot-n-2", n_ba, next(), t);
  WriteResult reported =
      Respond(s, "rot-n-2", n_ba, v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, next(), t);
  EXPECT_EQ(reported.facts.reports_in_window, 1u);
  EXPECT_EQ(reported.facts.spam_reports_in_window, 1u) << "spam if either";
  EXPECT_TRUE(Facts(s, n_b, t).recipient_reported_sender);
  EXPECT_FALSE(Facts(s, n_a, t).recipient_reported_sender);

  // A pair written under both keys (a replica on A, another on B, during a rollout): the later
  // invitation holds the pending mark once they merge, so answering it ends pending.
  Invite(s, "rot-p-1", p_a, next(), t);
  Invite(s, "rot-p-2", p_b, next(), t);
  EXPECT_TRUE(Facts(s, p_ba, t).pending);
  WriteResult p = Respond(s, "rot-p-2", p_ba, v1::INVITATION_RESPONSE_IGNORED, next(), t);
  EXPECT_FALSE(p.facts.pending);
  EXPECT_FALSE(Facts(s, p_ba, t).pending);
  const SenderFacts after = Facts(s, "", t);
  EXPECT_EQ(after.invitations_in_volume_window, 6u);
  EXPECT_EQ(after.reports_in_window, 1u);

  // ForgetMember with both keys: nothing of m or n under either.
  Invite(s, "rot-m-3", m_a, next(), t);  // (an old replica writes under A again)
  for (const RecipientKeys* member : {&m_ba, &n_ba}) {
    absl::StatusOr<uint64_t> removed =
        store().ForgetMember(absl::StrCat("c-rot-member-", member->first()), *member);
    ASSERT_TRUE(removed.ok()) << removed.status();
    EXPECT_GT(*removed, 0u);
  }
  for (const RecipientKeys* pair : {&m_a, &m_b, &n_a, &n_b}) {
    const SenderFacts facts = Facts(s, *pair, t);
    EXPECT_FALSE(facts.pending) << pair->first();
    EXPECT_FALSE(facts.recipient_reported_sender) << pair->first();
    EXPECT_EQ(facts.withdrawn_at, absl::InfinitePast()) << pair->first();
  }
  EXPECT_EQ(Facts(s, "", t).reports_in_window, 1u) << "counted still, anonymous";
}

TEST_P(HistoryStoreContractTest, ForgetMemberAnswersRecordsRemovedAndIsIdempotent) {
  const std::string s = "c-forget-count";
  Invite(s, "inv-1", "rk-1", T0(), T0());
  absl::StatusOr<uint64_t> removed = store().ForgetMember(s, "rk-own");
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_GT(*removed, 0u);
  absl::StatusOr<uint64_t> again = store().ForgetMember(s, "rk-own");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 0u);
  absl::StatusOr<uint64_t> unknown = store().ForgetMember("c-never-seen", "rk-never");
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(*unknown, 0u);
}

// Retention: a reporter entry expires on its own clock, ReporterRetention after its latest
// report, with no write to prune it and whatever the sender writes about other recipients.
TEST_P(HistoryStoreContractTest, ReporterEntryExpiresOnItsOwnClock) {
  const std::string s = "c-reporter-clock";
  InviteAndRespond(s, 1, v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, T0());
  const absl::Duration retention = ReporterRetention(policy());
  EXPECT_TRUE(Facts(s, "rk-1", T0() + retention - kMs).recipient_reported_sender);
  EXPECT_FALSE(Facts(s, "rk-1", T0() + retention).recipient_reported_sender);
  // Unrelated writes (other recipients, every 100 days) do not keep it.
  for (int day = 100; day < absl::ToInt64Hours(retention) / 24; day += 100) {
    Invite(s, absl::StrCat("inv-d", day), absl::StrCat("rk-d", day), T0() + Days(day),
           T0() + Days(day));
  }
  EXPECT_FALSE(Facts(s, "rk-1", T0() + retention).recipient_reported_sender);
}

TEST_P(HistoryStoreContractTest, PingAnswersOk) { EXPECT_TRUE(store().Ping().ok()); }

// --- Note fingerprints (RecordInvitation's note_fingerprint, near_identical_notes; issue 16) --

// A fingerprint with `bits` of its low bits flipped: `bits` away from it.
uint64_t Flipped(uint64_t fingerprint, int bits) {
  return bits == 0 ? fingerprint : fingerprint ^ (~uint64_t{0} >> (64 - bits));
}

constexpr uint64_t kNote = 0x9e3779b97f4a7c15;

TEST_P(HistoryStoreContractTest, NearIdenticalNotesCountWithinTheDistance) {
  const std::string s = "c-notes";
  const int max_distance = static_cast<int>(policy().near_identical_max_distance);
  ASSERT_EQ(max_distance, 14);  // the default
  const absl::Time at = T0();
  // Distances 0, 1, 14 (near) and 15, 32 (not); one invitation without a note.
  InviteWithNote(s, "i0", "rk-0", kNote, at, at);
  InviteWithNote(s, "i1", "rk-1", Flipped(kNote, 1), at, at);
  InviteWithNote(s, "i14", "rk-14", Flipped(kNote, max_distance), at, at);
  InviteWithNote(s, "i15", "rk-15", Flipped(kNote, max_distance + 1), at, at);
  InviteWithNote(s, "i32", "rk-32", Flipped(kNote, 32), at, at);
  InviteWithNote(s, "none", "rk-none", 0, at, at);
  EXPECT_EQ(NearNotes(s, kNote, at), 3u);
  // From the other side: i32's fingerprint has only itself within 14 bits.
  EXPECT_EQ(NearNotes(s, Flipped(kNote, 32), at), 1u);
  // The high half counts as much as the low one: i0 (8 bits) and i1 (9); i14 is 22 away.
  EXPECT_EQ(NearNotes(s, kNote ^ 0xff00000000000000, at), 2u);
  EXPECT_EQ(NearNotes(s, kNote ^ 0xfffc000000000000, at), 1u);  // i0 (14); i1 is 15
  EXPECT_EQ(NearNotes(s, ~kNote, at), 0u);
  // No fingerprint asked: 0; the other facts as ever.
  const SenderFacts facts = Facts(s, "", at);
  EXPECT_EQ(facts.near_identical_notes, 0u);
  EXPECT_EQ(facts.invitations_in_volume_window, 6u);
  EXPECT_EQ(NearNotes("c-notes-unknown", kNote, at), 0u);
  // BatchGetFacts answers it per query.
  absl::StatusOr<std::vector<SenderFacts>> batch = store().BatchGetFacts(
      {FactsQuery{s, RecipientKeys(), kNote}, FactsQuery{s, RecipientKeys(), 0},
       FactsQuery{s, "rk-0", Flipped(kNote, 32)}},
      at);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ((*batch)[0].near_identical_notes, 3u);
  EXPECT_EQ((*batch)[1].near_identical_notes, 0u);
  EXPECT_EQ((*batch)[2].near_identical_notes, 1u);
  EXPECT_TRUE((*batch)[2].pending);
}

TEST_P(HistoryStoreContractTest, NearIdenticalMaxDistanceIsThePolicys) {
  const std::string s = "c-notes-distance";
  StorePolicy strict = policy();
  strict.near_identical_max_distance = 0;
  UsePolicy(strict);
  InviteWithNote(s, "i0", "rk-0", kNote, T0(), T0());
  InviteWithNote(s, "i1", "rk-1", Flipped(kNote, 1), T0(), T0());
  EXPECT_EQ(NearNotes(s, kNote, T0()), 1u);
}

TEST_P(HistoryStoreContractTest, NoteFingerprintsCountInsideTheVolumeWindowOnly) {
  const std::string s = "c-notes-window";
  const absl::Duration window = policy().volume_window;
  InviteWithNote(s, "i-old", "rk-old", kNote, T0(), T0());
  InviteWithNote(s, "i-new", "rk-new", kNote, T0() + Days(2), T0() + Days(2));
  // Sent before the window of the write: not kept (nor counted later).
  InviteWithNote(s, "i-late", "rk-late", kNote, T0() + Days(2) - window, T0() + Days(2));
  EXPECT_EQ(NearNotes(s, kNote, T0() + Days(2)), 2u);
  // Counted while sent_at > now - window: i-old until T0 + window (exclusive).
  EXPECT_EQ(NearNotes(s, kNote, T0() + window - kMs), 2u);
  EXPECT_EQ(NearNotes(s, kNote, T0() + window), 1u);
  EXPECT_EQ(NearNotes(s, kNote, T0() + Days(2) + window - kMs), 1u);
  EXPECT_EQ(NearNotes(s, kNote, T0() + Days(2) + window), 0u);
  // A write after the window starts the count again.
  const absl::Time later = T0() + Days(30);
  InviteWithNote(s, "i-later", "rk-later", kNote, later, later);
  EXPECT_EQ(NearNotes(s, kNote, later), 1u);
}

TEST_P(HistoryStoreContractTest, NoteFingerprintsKeepAtMostTheCapTheLatestRecorded) {
  const std::string s = "c-notes-cap";
  StorePolicy capped = policy();
  capped.max_note_fingerprints = 3;
  UsePolicy(capped);
  for (int i = 0; i < 5; ++i) {
    const absl::Time at = T0() + absl::Minutes(i);
    // The first two far from kNote, the last three near it.
    InviteWithNote(s, absl::StrCat("i", i), absl::StrCat("rk-", i),
                   i < 2 ? ~kNote : Flipped(kNote, i), at, at);
  }
  const absl::Time at = T0() + absl::Minutes(5);
  EXPECT_EQ(NearNotes(s, kNote, at), 3u);
  EXPECT_EQ(NearNotes(s, ~kNote, at), 0u);  // the earliest two went
  EXPECT_EQ(Facts(s, "", at).invitations_in_volume_window, 5u);
}

TEST_P(HistoryStoreContractTest, ADuplicateInvitationKeepsNoSecondFingerprint) {
  const std::string s = "c-notes-dup";
  InviteWithNote(s, "i0", "rk-0", kNote, T0(), T0());
  const WriteResult again = InviteWithNote(s, "i0", "rk-0", kNote, T0(), T0() + kMs);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(NearNotes(s, kNote, T0() + kMs), 1u);
}

TEST_P(HistoryStoreContractTest, ForgetMemberErasesTheSendersNoteFingerprintsOnly) {
  const std::string s = "c-notes-forget";
  const std::string other = "c-notes-forget-other";
  InviteWithNote(s, "i0", "rk-forget-0", kNote, T0(), T0());
  InviteWithNote(s, "i1", "rk-forget-1", kNote, T0(), T0());
  InviteWithNote(other, "o0", "rk-forget-0", kNote, T0(), T0());
  // The recipient's erasure leaves what senders count, fingerprints included.
  ASSERT_TRUE(store().ForgetMember("m-forget-r0", "rk-forget-0").ok());
  EXPECT_EQ(NearNotes(s, kNote, T0()), 2u);
  EXPECT_EQ(NearNotes(other, kNote, T0()), 1u);
  // The sender's erasure takes them; the other sender keeps its own.
  ASSERT_TRUE(store().Forget(s).ok());
  EXPECT_EQ(NearNotes(s, kNote, T0()), 0u);
  EXPECT_EQ(NearNotes(other, kNote, T0()), 1u);
}

TEST_P(HistoryStoreContractTest, KeyRotationLeavesNoteFingerprints) {
  const std::string s = "c-notes-rotation";
  const RecipientKeys old_key = Keys({{"k1", "rk-rot-old"}});
  const RecipientKeys rotated = Keys({{"k2", "rk-rot-new"}, {"k1", "rk-rot-old"}});
  InviteWithNote(s, "i0", old_key, kNote, T0(), T0());
  // A write under the new key moves the pair's data; the fingerprints hold no member id.
  InviteWithNote(s, "i1", rotated, Flipped(kNote, 2), T0() + kMs, T0() + kMs);
  EXPECT_EQ(NearNotes(s, kNote, T0() + kMs), 2u);
}

TEST_P(HistoryStoreContractTest, ConcurrentWritesAreAtomic) {
  const std::string s = "c-concurrent";
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::vector<int> started(kThreads, 0);
  std::vector<int> errors(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string n = absl::StrCat(t, "-", i);
        const std::string invitation = "inv-" + n;
        const std::string recipient = "rk-" + n;
        if (!store().RecordInvitation(s, invitation, recipient, T0(), T0()).ok()) ++errors[t];
        absl::StatusOr<WriteResult> report = store().RecordResponse(
            s, invitation, recipient, v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, T0(), T0());
        if (!report.ok()) {
          ++errors[t];
        } else if (report->restriction_started) {
          ++started[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  int total_started = 0;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(errors[t], 0) << "thread " << t;
    total_started += started[t];
  }
  // Exactly one write reached the threshold; every invitation is counted.
  EXPECT_EQ(total_started, 1);
  const SenderFacts facts = Facts(s, "", T0());
  EXPECT_EQ(facts.offense_count, 1u);
  EXPECT_EQ(facts.invitations_in_volume_window, static_cast<uint32_t>(kThreads * kPerThread));
  EXPECT_EQ(facts.restriction_start, T0());
  EXPECT_EQ(facts.reports_in_window, 0u);  // every report is at the clean slate, not after
  EXPECT_EQ(Facts(s, "", T0() + kMs).reports_in_window, 0u);
}

}  // namespace etiquette::testing

// --- Admin audit trail --------------------------------------------------------------------
// One stream for the whole store: each test filters by a sender id of its own.

namespace etiquette::testing {
namespace {

AdminActionRecord AuditEntry(const std::string& sender, absl::Time at, int n) {
  AdminActionRecord r;
  r.time = at;
  r.admin = "spiffe://test/ops";
  r.token_ref = "token:0123456789ab";
  r.action = "ReleaseSender";
  r.sender_id = sender;
  r.reason = absl::StrCat("reason ", n);
  r.reason_ref = "ref";
  r.ticket = "OPS-1";
  r.outcome = "OK";
  r.records_removed = n;
  return r;
}

}  // namespace

TEST_P(HistoryStoreContractTest, AdminAuditTrailPagesNewestFirst) {
  const std::string s = "c-audit-pages";
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store().AppendAdminAction(AuditEntry(s, T0() + i * kMs, i)).ok());
  }
  AdminActionsQuery query;
  query.sender_id = s;
  query.limit = 2;
  std::vector<std::string> reasons;
  for (int page = 0; page < 3; ++page) {
    absl::StatusOr<AdminActionsPage> got = store().ListAdminActions(query);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->more, page < 2) << page;
    for (const AdminActionRecord& r : got->actions) reasons.push_back(r.reason);
    if (got->actions.empty()) break;
    query.before_id = got->actions.back().id;
  }
  EXPECT_EQ(reasons,
            (std::vector<std::string>{"reason 4", "reason 3", "reason 2", "reason 1", "reason 0"}));
  query = AdminActionsQuery();
  query.sender_id = s;
  query.limit = 1;
  absl::StatusOr<AdminActionsPage> newest = store().ListAdminActions(query);
  ASSERT_TRUE(newest.ok()) << newest.status();
  ASSERT_EQ(newest->actions.size(), 1u);
  const AdminActionRecord& r = newest->actions[0];
  EXPECT_EQ(r.time, T0() + 4 * kMs);
  EXPECT_EQ(r.admin, "spiffe://test/ops");
  EXPECT_EQ(r.token_ref, "token:0123456789ab");
  EXPECT_EQ(r.action, "ReleaseSender");
  EXPECT_EQ(r.sender_id, s);
  EXPECT_EQ(r.reason_ref, "ref");
  EXPECT_EQ(r.ticket, "OPS-1");
  EXPECT_EQ(r.outcome, "OK");
  EXPECT_EQ(r.records_removed, 4u);
}

TEST_P(HistoryStoreContractTest, AdminAuditTrailKeepsAtMostTheCap) {
  StorePolicy policy = this->policy();
  policy.admin_audit_max_entries = 10;
  UsePolicy(policy);
  const std::string s = "c-audit-cap";
  for (int i = 0; i < 15; ++i) {
    ASSERT_TRUE(store().AppendAdminAction(AuditEntry(s, T0() + i * kMs, i)).ok());
  }
  AdminActionsQuery query;
  query.limit = 100;
  absl::StatusOr<AdminActionsPage> got = store().ListAdminActions(query);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->actions.size(), 10u);  // the whole stream, other tests' entries included
  EXPECT_FALSE(got->more);
  EXPECT_EQ(got->actions.front().reason, "reason 14");
  EXPECT_EQ(got->actions.back().reason, "reason 5");
}

TEST_P(HistoryStoreContractTest, AdminAuditTrailDropsEntriesPastTheRetention) {
  const std::string s = "c-audit-retention";
  const absl::Time later = T0() + Days(5000);  // after every other test's entries
  ASSERT_TRUE(store().AppendAdminAction(AuditEntry(s, later, 1)).ok());
  ASSERT_TRUE(store()
                  .AppendAdminAction(AuditEntry(s, later + policy().admin_audit_retention + kMs, 2))
                  .ok());
  AdminActionsQuery query;
  query.sender_id = s;
  absl::StatusOr<AdminActionsPage> got = store().ListAdminActions(query);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->actions.size(), 1u);
  EXPECT_EQ(got->actions[0].reason, "reason 2");
  // A list does not answer what is older than its not_before.
  query.not_before = later + policy().admin_audit_retention + 2 * kMs;
  got = store().ListAdminActions(query);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->actions.empty());
}

TEST_P(HistoryStoreContractTest, AdminAuditTrailEntryOfAnErasureRemovesTheEntriesNamingTheMember) {
  const std::string erased = "c-audit-erased";
  const std::string other = "c-audit-kept";
  const absl::Time at = T0() + Days(4000);  // after the other tests' entries, before retention's
  ASSERT_TRUE(store().AppendAdminAction(AuditEntry(erased, at, 1)).ok());
  ASSERT_TRUE(store().AppendAdminAction(AuditEntry(other, at + kMs, 2)).ok());
  // The newest entry names the member: the new entry's id still goes past it.
  ASSERT_TRUE(store().AppendAdminAction(AuditEntry(erased, at + 2 * kMs, 3)).ok());
  AdminActionRecord forget = AuditEntry("", at + 2 * kMs, 0);
  forget.action = "ForgetMember";

  absl::StatusOr<AdminActionRecord> stored = store().AppendAdminAction(forget, erased);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->audit_entries_removed, 2u);
  EXPECT_FALSE(stored->id.empty());

  AdminActionsQuery query;
  query.sender_id = erased;
  absl::StatusOr<AdminActionsPage> named = store().ListAdminActions(query);
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_TRUE(named->actions.empty());
  query.sender_id = other;
  absl::StatusOr<AdminActionsPage> kept = store().ListAdminActions(query);
  ASSERT_TRUE(kept.ok()) << kept.status();
  ASSERT_EQ(kept->actions.size(), 1u);
  EXPECT_EQ(kept->actions[0].reason, "reason 2");
  query = AdminActionsQuery();
  query.limit = 1;
  absl::StatusOr<AdminActionsPage> newest = store().ListAdminActions(query);
  ASSERT_TRUE(newest.ok()) << newest.status();
  ASSERT_EQ(newest->actions.size(), 1u);
  EXPECT_EQ(newest->actions[0].id, stored->id);
  EXPECT_EQ(newest->actions[0].action, "ForgetMember");
  EXPECT_EQ(newest->actions[0].audit_entries_removed, 2u);

  // Again: nothing left to remove.
  forget.time = at + 3 * kMs;
  stored = store().AppendAdminAction(forget, erased);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->audit_entries_removed, 0u);
}

TEST_P(HistoryStoreContractTest, AdminAuditTrailRefusesAMalformedPageStart) {
  AdminActionsQuery query;
  query.before_id = "not-an-id";
  EXPECT_EQ(store().ListAdminActions(query).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace etiquette::testing
