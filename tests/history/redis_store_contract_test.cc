// The HistoryStore contract suite against RedisHistoryStore and a real redis-server: one
// server for the whole binary (started on first use), flushed before every test's store. Twice:
// as senders start (small mode), and with every sender in big mode (history/redis_scripts.h).

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "history/redis_history_store.h"
#include "history/redis_url.h"
#include "tests/history/history_store_contract.h"
#include "tests/support/redis_server.h"

namespace etiquette::testing {
namespace {

std::unique_ptr<HistoryStore> NewRedisStore(const StorePolicy& policy) {
  RedisServer* server = SharedRedisServer();
  RedisOptions options;
  if (server == nullptr) {
    options.port = 1;  // nothing listens: every call fails, the tests report it
  } else {
    const absl::Status flushed = server->FlushAll();
    EXPECT_TRUE(flushed.ok()) << flushed;
    absl::StatusOr<RedisOptions> parsed = ParseRedisUrl(server->url());
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    if (parsed.ok()) options = *parsed;
  }
  // The contract is about semantics, not latency: a generous bound keeps a loaded machine
  // (ConcurrentWritesAreAtomic runs 8 threads on 4 connections) from failing it.
  options.timeout = absl::Seconds(5);
  options.write_timeout = options.timeout;
  return std::make_unique<RedisHistoryStore>(options, policy);
}

// A RedisHistoryStore whose senders are all in big mode: before each call it sets the sender's
// "m" field, as if the sender had been big once and pruned since.
class BigModeStore final : public HistoryStore {
 public:
  explicit BigModeStore(std::unique_ptr<HistoryStore> store) : store_(std::move(store)) {}

  void RecordInvitation(const std::string& sender_id, const std::string& invitation_id,
                        const RecipientKeys& recipient_key, absl::Time sent_at,
                        uint64_t note_fingerprint, absl::Time now, absl::Time deadline,
                        StoreDone<WriteResult> done) override {
    Big(sender_id);
    store_->RecordInvitation(sender_id, invitation_id, recipient_key, sent_at, note_fingerprint,
                             now, deadline, std::move(done));
  }
  void RecordResponse(const std::string& sender_id, const std::string& invitation_id,
                      const RecipientKeys& recipient_key, v1::InvitationResponse response,
                      absl::Time responded_at, absl::Time now, absl::Time deadline,
                      StoreDone<WriteResult> done) override {
    Big(sender_id);
    store_->RecordResponse(sender_id, invitation_id, recipient_key, response, responded_at, now,
                           deadline, std::move(done));
  }
  void GetFacts(const FactsQuery& query, absl::Time now, absl::Time deadline,
                StoreDone<SenderFacts> done) override {
    Big(query.sender_id);
    store_->GetFacts(query, now, deadline, std::move(done));
  }
  void BatchGetFacts(const std::vector<FactsQuery>& queries, absl::Time now, absl::Time deadline,
                     StoreDone<std::vector<SenderFacts>> done) override {
    for (const FactsQuery& query : queries) Big(query.sender_id);
    store_->BatchGetFacts(queries, now, deadline, std::move(done));
  }
  void Release(const std::string& sender_id, const std::string& reason, absl::Time now,
               absl::Time deadline, StoreDone<SenderFacts> done) override {
    Big(sender_id);
    store_->Release(sender_id, reason, now, deadline, std::move(done));
  }
  void Forget(const std::string& member_id, const RecipientKeys& recipient_key, absl::Time deadline,
              StoreDone<uint64_t> done) override {
    store_->Forget(member_id, recipient_key, deadline, std::move(done));
  }
  void AppendAdminAction(const AdminActionRecord& record, const std::string& erased_member,
                         absl::Time deadline, StoreDone<AdminActionRecord> done) override {
    store_->AppendAdminAction(record, erased_member, deadline, std::move(done));
  }
  void ListAdminActions(const AdminActionsQuery& query, absl::Time deadline,
                        StoreDone<AdminActionsPage> done) override {
    store_->ListAdminActions(query, deadline, std::move(done));
  }
  absl::Status Ping() override { return store_->Ping(); }
  void SetPolicy(const StorePolicy& policy) override { store_->SetPolicy(policy); }

 private:
  void Big(const std::string& sender_id) {
    RedisServer* server = SharedRedisServer();
    if (server == nullptr) return;
    std::lock_guard<std::mutex> lock(mutex_);  // RedisServer::Command has one connection
    const absl::StatusOr<std::string> set =
        server->Command({"HSET", RedisHistoryStore::SenderKeys(sender_id)[0], "m", "1"});
    EXPECT_TRUE(set.ok()) << set.status();
  }

  std::unique_ptr<HistoryStore> store_;
  static inline std::mutex mutex_;
};

std::unique_ptr<HistoryStore> NewBigModeRedisStore(const StorePolicy& policy) {
  return std::make_unique<BigModeStore>(NewRedisStore(policy));
}

INSTANTIATE_TEST_SUITE_P(Redis, HistoryStoreContractTest,
                         ::testing::Values(StoreFactory(NewRedisStore)));
INSTANTIATE_TEST_SUITE_P(RedisBigMode, HistoryStoreContractTest,
                         ::testing::Values(StoreFactory(NewBigModeRedisStore)));

}  // namespace
}  // namespace etiquette::testing
