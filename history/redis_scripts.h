#pragma once

// The Lua scripts of RedisHistoryStore and the layout of the keys they keep (see
// redis_history_store.h for the contract of each operation). The C++ side builds each script's
// KEYS with SenderKeys and its ARGV as documented in the .cc, and parses the facts reply
// (kFactsSize items).

#include <string>
#include <vector>

namespace etiquette::redis_scripts {

// Items in the facts reply of every script.
inline constexpr int kFactsSize = 12;
// Keys of one sender, all under the hash tag {sender_id}: KEYS of every script.
inline constexpr int kKeysPerSender = 7;

struct ScriptText {
  const char* name;    // for logs and metrics, e.g. "record_invitation"
  std::string source;  // the Lua text
  std::string sha;     // its SHA-1, hex, as EVALSHA wants it
};

// Every script, in the order of RedisHistoryStore::Script: record_invitation, record_response,
// get_facts, release, forget. Hashed on first use.
const std::vector<ScriptText>& Scripts();

// The keys of `sender_id`, in KEYS order; the first one decides the sender's cluster slot.
std::vector<std::string> SenderKeys(const std::string& sender_id);

}  // namespace etiquette::redis_scripts
