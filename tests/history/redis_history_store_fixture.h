// The Redis store's test fixture: a real redis-server per test and a store on it, with
// helpers that look at what Redis holds. Shared by the store's behaviour tests
// (tests/history/redis_history_store_test.cc) and its fault tests
// (tests/faults/redis_store_fault_test.cc).

#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "history/in_memory_history_store.h"
#include "history/recipient_hasher.h"
#include "history/redis_history_store.h"
#include "history/redis_scripts.h"
#include "history/redis_url.h"
#include "spdlog/spdlog.h"
#include "tests/common/capturing_sink.h"
#include "tests/support/await.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/redis_server.h"
#include "tests/support/stored_invitations.h"

namespace etiquette::testing {

// The behaviour suite's store timeout: its tests are about semantics, not latency, so a loaded
// machine must not fail them. The fault suite sets its own (StoreTimeout).
constexpr absl::Duration kPatientTimeout = absl::Seconds(5);

inline absl::Time T0() { return absl::FromUnixSeconds(1780315200); }  // 2026-06-01T12:00:00Z
inline absl::Duration Days(int64_t days) { return absl::Hours(24 * days); }

class RedisHistoryStoreTest : public RedisServerTest<> {
 protected:
  void SetUp() override {
    RedisServerTest::SetUp();
    if (HasFatalFailure()) return;
    store_ = std::make_unique<RedisHistoryStore>(Options(StoreTimeout()), policy_);
  }

  // The timeout of store() (reads and writes).
  virtual absl::Duration StoreTimeout() const { return kPatientTimeout; }

  RedisHistoryStore& store() { return *store_; }

  std::string Command(const std::vector<std::string>& args) {
    absl::StatusOr<std::string> reply = server().Command(args);
    EXPECT_TRUE(reply.ok()) << args[0] << ": " << reply.status();
    return reply.ok() ? *reply : "";
  }

  int64_t CommandInteger(const std::vector<std::string>& args) {
    int64_t value = 0;
    const std::string reply = Command(args);
    EXPECT_TRUE(absl::SimpleAtoi(reply, &value)) << args[0] << " answered " << reply;
    return value;
  }

  // Every key in the server, by SCAN.
  std::vector<std::string> AllKeys() {
    std::vector<std::string> keys;
    std::string cursor = "0";
    do {
      const std::vector<std::string> lines =
          absl::StrSplit(Command({"SCAN", cursor, "COUNT", "1000"}), '\n', absl::SkipEmpty());
      if (lines.empty()) break;
      cursor = lines[0];
      keys.insert(keys.end(), lines.begin() + 1, lines.end());
    } while (cursor != "0");
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  std::vector<std::string> KeysOf(const std::string& sender) {
    std::vector<std::string> keys;
    for (const std::string& key : AllKeys()) {
      if (absl::StartsWith(key, absl::StrCat("etq:{", sender, "}:"))) keys.push_back(key);
    }
    return keys;
  }

  // What the sender's h key holds, by the layout's own script (history/redis_scripts.h).
  struct Stored {
    int64_t sent = -1;
    int64_t accepted = -1;
    int64_t responded = -1;  // known only from a response
    int64_t withdrawals = -1;
    int64_t marks = -1;  // pending marks held as "p" fields
    bool big = false;
  };
  Stored StoredOf(const std::string& sender) {
    const std::vector<std::string> lines =
        absl::StrSplit(Command({"EVAL_RO", StoredInvitationsScript(), "1",
                                RedisHistoryStore::SenderKeys(sender)[0]}),
                       '\n');
    Stored stored;
    if (lines.size() != 6) {
      ADD_FAILURE() << "stored invitations of " << sender << ": " << absl::StrJoin(lines, " ");
      return stored;
    }
    int64_t* const fields[] = {&stored.sent, &stored.accepted, &stored.responded,
                               &stored.withdrawals, &stored.marks};
    for (size_t i = 0; i < 5; ++i) EXPECT_TRUE(absl::SimpleAtoi(lines[i], fields[i])) << lines[i];
    stored.big = lines[5] == "1";
    return stored;
  }

  // Puts `sender` in big mode before its first write, as if it had been big and pruned since.
  void StartBig(const std::string& sender) {
    EXPECT_EQ(Command({"HSET", RedisHistoryStore::SenderKeys(sender)[0], "m", "1"}), "1");
  }

  // kSmallFields + 1 invitations at `at`, to recipients rk-fill-<n>: the sender goes big.
  void FillToBig(const std::string& sender, absl::Time at) {
    for (int i = 0; i <= redis_scripts::kSmallFields; ++i) {
      const std::string n = absl::StrCat(i);
      Invite(sender, "inv-fill-" + n, "rk-fill-" + n, at);
    }
    EXPECT_TRUE(StoredOf(sender).big) << sender;
  }

  int64_t Counter(const std::string& command) {
    absl::StatusOr<int64_t> calls = server().CommandCalls(command);
    EXPECT_TRUE(calls.ok()) << calls.status();
    return calls.ok() ? *calls : -1;
  }

  // Calls per command (INFO commandstats, lower case, script-internal calls included).
  std::map<std::string, int64_t> CommandCounts() {
    std::map<std::string, int64_t> counts;
    for (absl::string_view line :
         absl::StrSplit(Command({"INFO", "commandstats"}), absl::ByAnyChar("\r\n"))) {
      if (!absl::ConsumePrefix(&line, "cmdstat_")) continue;
      const size_t colon = line.find(":calls=");
      if (colon == absl::string_view::npos) continue;
      absl::string_view calls = line.substr(colon + 7);
      int64_t value = 0;
      EXPECT_TRUE(absl::SimpleAtoi(calls.substr(0, calls.find(',')), &value)) << line;
      counts[std::string(line.substr(0, colon))] = value;
    }
    return counts;
  }

  // The commands run since `before` (without the INFO calls that measure them).
  std::map<std::string, int64_t> CommandsSince(const std::map<std::string, int64_t>& before) {
    std::map<std::string, int64_t> since;
    for (const auto& [command, calls] : CommandCounts()) {
      const auto it = before.find(command);
      const int64_t delta = calls - (it == before.end() ? 0 : it->second);
      if (delta > 0 && command != "info") since[command] = delta;
    }
    return since;
  }

  int64_t Stat(const std::string& field) {
    absl::StatusOr<int64_t> value = server().InfoInteger("stats", field);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *value : -1;
  }

  // --- Workload helpers (fail the test on error) ---

  WriteResult Invite(const std::string& sender, const std::string& invitation,
                     const RecipientKeys& recipient, absl::Time at) {
    absl::StatusOr<WriteResult> result =
        Blocking(store()).RecordInvitation(sender, invitation, recipient, at, at);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : WriteResult();
  }

  // An invitation with a note fingerprint.
  WriteResult InviteWithNote(const std::string& sender, const std::string& invitation,
                             const RecipientKeys& recipient, uint64_t note_fingerprint,
                             absl::Time at) {
    absl::StatusOr<WriteResult> result = Await<WriteResult>([&](StoreDone<WriteResult> done) {
      store().RecordInvitation(sender, invitation, recipient, at, note_fingerprint, at,
                               absl::InfiniteFuture(), std::move(done));
    });
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : WriteResult();
  }

  WriteResult Respond(const std::string& sender, const std::string& invitation,
                      const RecipientKeys& recipient, v1::InvitationResponse response,
                      absl::Time at) {
    absl::StatusOr<WriteResult> result =
        Blocking(store()).RecordResponse(sender, invitation, recipient, response, at, at);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : WriteResult();
  }

  SenderFacts Facts(const std::string& sender, const std::string& recipient, absl::Time at) {
    absl::StatusOr<SenderFacts> facts = Blocking(store()).GetFacts(sender, recipient, at);
    EXPECT_TRUE(facts.ok()) << facts.status();
    return facts.ok() ? *facts : SenderFacts();
  }

  // Five distinct reporters from `at` on, one a minute: starts a restriction at the fifth.
  WriteResult Restrict(const std::string& sender, int first, absl::Time at) {
    WriteResult last;
    for (int i = 0; i < 5; ++i) {
      const std::string n = absl::StrCat(first + i);
      const absl::Time when = at + absl::Minutes(i);
      Invite(sender, "inv-r" + n, "rk-r" + n, when);
      last =
          Respond(sender, "inv-r" + n, "rk-r" + n, v1::INVITATION_RESPONSE_REPORTED_UNKNOWN, when);
    }
    EXPECT_TRUE(last.restriction_started);
    return last;
  }

  // Something in every one of the sender's keys: invitations (pending, accepted, withdrawn,
  // ignored), a response to an unknown invitation, reports and a restriction, and unless `big`
  // is false enough invitations (rk-fill-*) for big mode, whose index is a key of its own.
  void MixedWorkload(const std::string& sender, absl::Time at, bool big = true) {
    Invite(sender, "inv-p", "rk-p", at);
    InviteWithNote(sender, "inv-note", "rk-note", 0x0123456789abcdef, at);  // n
    Invite(sender, "inv-a", "rk-a", at);
    Respond(sender, "inv-a", "rk-a", v1::INVITATION_RESPONSE_ACCEPTED, at);
    Invite(sender, "inv-w", "rk-w", at);
    Respond(sender, "inv-w", "rk-w", v1::INVITATION_RESPONSE_WITHDRAWN, at);
    Invite(sender, "inv-i", "rk-i", at);
    Respond(sender, "inv-i", "rk-i", v1::INVITATION_RESPONSE_IGNORED, at);
    Respond(sender, "inv-unknown", "rk-u", v1::INVITATION_RESPONSE_ACCEPTED, at);
    Restrict(sender, 1, at + absl::Minutes(1));
    if (big) FillToBig(sender, at + absl::Minutes(10));
  }

  StorePolicy policy_;
  std::unique_ptr<RedisHistoryStore> store_;
};

}  // namespace etiquette::testing
