#include "history/redis_scripts.h"

#include <openssl/sha.h>

#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "history/lua/scripts.h"  // generated from history/lua/*.lua (history/CMakeLists.txt)

namespace etiquette::redis_scripts {
namespace {

constexpr const char* kKeySuffixes[] = {"h", "t", "r", "state", "x", "n"};
static_assert(std::size(kKeySuffixes) == kKeysPerSender);

std::string Hex(const unsigned char* bytes, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (size_t i = 0; i < size; ++i) {
    hex.push_back(kHex[bytes[i] >> 4]);
    hex.push_back(kHex[bytes[i] & 0xf]);
  }
  return hex;
}

std::string Sha1Hex(const std::string& text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return Hex(digest, sizeof(digest));
}

}  // namespace

std::string ShortName(const std::string& id) { return Sha1Hex(id).substr(0, 16); }

std::string HexOf(const std::string& bytes) {
  return Hex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::string IndexKey(const std::string& short_name_hex) {
  return absl::StrCat("etq:{r:", short_name_hex, "}:s");
}

std::string IndexKey(const std::string& key_id, const std::string& short_name_hex) {
  if (key_id.empty()) return IndexKey(short_name_hex);
  return absl::StrCat("etq:{r:", key_id, ":", short_name_hex, "}:s");
}

// Every script is a line that sets SMALL_FIELDS, the parts of the prelude it needs (in order:
// prelude.lua, prelude_facts.lua, prelude_writes.lua) and its body; see history/lua/prelude.lua.
const std::vector<ScriptText>& Scripts() {
  static const std::vector<ScriptText>* scripts = [] {
    auto* all = new std::vector<ScriptText>;
    const std::string head = absl::StrCat("local SMALL_FIELDS = ", kSmallFields, "\n");
    const std::string reads = absl::StrCat(head, lua::kPrelude, lua::kPreludeFacts);
    const std::string writes = absl::StrCat(reads, lua::kPreludeWrites);
    std::pair<const char*, std::string> bodies[] = {
        {"record_invitation", absl::StrCat(writes, lua::kRecordInvitation)},
        {"record_response", absl::StrCat(writes, lua::kRecordResponse)},
        {"get_facts", absl::StrCat(reads, lua::kGetFacts)},
        {"release", absl::StrCat(writes, lua::kRelease)},
        {"forget", std::string(lua::kForget)},
        {"forget_pair", std::string(lua::kForgetPair)},
        {"index", std::string(lua::kIndex)},
        {"rekey", absl::StrCat(writes, lua::kRekey)},
        {"audit_append", std::string(lua::kAuditAppend)},
        {"audit_list", std::string(lua::kAuditList)}};
    for (auto& [name, source] : bodies) {
      std::string sha = Sha1Hex(source);
      all->push_back(ScriptText{name, std::move(source), std::move(sha)});
    }
    return all;
  }();
  return *scripts;
}

std::vector<std::string> SenderKeys(const std::string& sender_id) {
  std::vector<std::string> keys;
  for (const char* suffix : kKeySuffixes) {
    keys.push_back(absl::StrCat("etq:{", sender_id, "}:", suffix));
  }
  return keys;
}

}  // namespace etiquette::redis_scripts
