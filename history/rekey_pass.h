#pragma once

#include <cstdint>
#include <istream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "history/recipient_hasher.h"
#include "history/redis_history_store.h"

namespace etiquette {

// What a key-rotation pass did.
struct RekeyPassStats {
  uint64_t members = 0;            // ids read
  uint64_t skipped = 0;            // lines that are not member ids
  uint64_t members_with_data = 0;  // recipients whose indexes under an older key named someone
  uint64_t senders = 0;            // senders visited for them
  uint64_t pairs_moved = 0;        // pairs that had data under an older key
};

// The key-rotation pass (docs/key-rotation.md): for each member id of `ids` (one a line; empty
// lines and lines starting with '#' skipped, other malformed ones counted as skipped), moves
// whatever senders hold about that member under the older keys of `hasher` to its first key
// (RedisHistoryStore::Rekey), `in_flight` members at a time. A recipient's data can only be
// re-keyed by its id (the stored hashes cannot be turned back into ids; that is their point), so
// the ids come from the operator: every member id of the platform, or at least every member
// that was ever invited. Each member's call is bounded by `per_member`; the first failure stops
// the pass (it is idempotent: run it again). Nothing to do with one key.
absl::StatusOr<RekeyPassStats> RunRekeyPass(RedisHistoryStore& store, const RecipientHasher& hasher,
                                            std::istream& ids, int in_flight = 32,
                                            absl::Duration per_member = absl::Seconds(10));

// `etiquette-history --rekey_members_file=PATH` ("-": standard input): runs the pass, prints
// its figures (and the key ids) on standard output, answers the process's exit code (0 done, 1
// failed: the file cannot be read, or a store call failed).
int RekeyMain(RedisHistoryStore& store, const RecipientHasher& hasher, const std::string& path);

}  // namespace etiquette
