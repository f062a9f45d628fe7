#pragma once

#include <string>
#include <utility>
#include <vector>

namespace etiquette {

// One recipient's keyed hashes (RecipientHasher), one per configured HMAC key, the key that
// writes first: the store finds the pair's data under any of them, and a write moves what it
// finds under the others to the first (key rotation, docs/key-rotation.md). `key_id` names the
// HMAC key (RecipientHasher::KeyId): it is part of the recipient's index key in Redis, so that
// what is still under an old key can be found. Built implicitly from one key with no id (tests,
// stores that know one key).
struct RecipientKeys {
  struct Hashed {
    std::string key_id;  // empty: a key with no id (the index keeps its old name)
    std::string key;
  };

  RecipientKeys() = default;
  RecipientKeys(std::string key) {  // NOLINT(google-explicit-constructor): one key, no id
    if (!key.empty()) all.push_back(Hashed{"", std::move(key)});
  }
  RecipientKeys(const char* key) : RecipientKeys(std::string(key)) {}  // NOLINT
  explicit RecipientKeys(std::vector<Hashed> keys) : all(std::move(keys)) {}

  // No recipient (no pair facts).
  bool empty() const { return all.empty(); }
  // The key that writes; empty() must be false.
  const std::string& first() const { return all.front().key; }

  std::vector<Hashed> all;
};

}  // namespace etiquette
