#include "history/rekey_pass.h"

#include <condition_variable>
#include <fstream>
#include <iostream>
#include <mutex>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/ids.h"

namespace etiquette {

absl::StatusOr<RekeyPassStats> RunRekeyPass(RedisHistoryStore& store, const RecipientHasher& hasher,
                                            std::istream& ids, int in_flight,
                                            absl::Duration per_member) {
  RekeyPassStats stats;
  if (hasher.KeyIds().size() < 2) return stats;
  std::mutex mutex;
  std::condition_variable changed;
  int running = 0;
  absl::Status failed;
  std::string line;
  auto wait_below = [&](int limit) {
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait(lock, [&] { return running < limit; });
  };
  while (std::getline(ids, line)) {
    const std::string id(absl::StripAsciiWhitespace(line));
    if (id.empty() || absl::StartsWith(id, "#")) continue;
    std::vector<std::string> errors;
    CheckId(id, kMaxMemberIdBytes, "member_id", &errors);
    if (!errors.empty()) {
      ++stats.skipped;
      continue;
    }
    ++stats.members;
    wait_below(in_flight);
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!failed.ok()) break;
      ++running;
    }
    const absl::Time now = absl::Now();
    store.Rekey(hasher.Keys(id), now, now + per_member, [&](absl::StatusOr<RekeyResult> result) {
      std::lock_guard<std::mutex> lock(mutex);
      if (!result.ok()) {
        if (failed.ok()) failed = result.status();
      } else if (result->senders > 0) {
        ++stats.members_with_data;
        stats.senders += result->senders;
        stats.pairs_moved += result->pairs_moved;
      }
      --running;
      changed.notify_all();
    });
  }
  wait_below(1);
  if (!failed.ok()) return failed;
  return stats;
}

int RekeyMain(RedisHistoryStore& store, const RecipientHasher& hasher, const std::string& path) {
  const std::vector<std::string> key_ids = hasher.KeyIds();
  std::cout << "key ids: " << absl::StrJoin(key_ids, ", ") << " (" << key_ids.front() << " writes)"
            << std::endl;
  if (key_ids.size() < 2) {
    std::cout << "one key: nothing to re-key" << std::endl;
    return 0;
  }
  std::ifstream file;
  if (path != "-") {
    file.open(path);
    if (!file) {
      std::cerr << "--rekey_members_file: " << path << ": cannot open the file" << std::endl;
      return 1;
    }
  }
  absl::StatusOr<RekeyPassStats> stats = RunRekeyPass(store, hasher, path == "-" ? std::cin : file);
  if (!stats.ok()) {
    std::cerr << "re-key pass failed (it is safe to run again): " << stats.status() << std::endl;
    return 1;
  }
  std::cout << "members read: " << stats->members << ", lines skipped: " << stats->skipped
            << ", members with data under an older key: " << stats->members_with_data
            << ", senders visited: " << stats->senders << ", pairs moved: " << stats->pairs_moved
            << std::endl;
  for (size_t i = 1; i < key_ids.size(); ++i) {
    std::cout << "what is left under key " << key_ids[i]
              << ": redis-cli --scan --pattern 'etq:{r:" << key_ids[i]
              << ":*' on every master (none: the key can go)" << std::endl;
  }
  return 0;
}

}  // namespace etiquette
