#include "evaluator/language_packs.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "evaluator/language_id.h"

namespace etiquette {

LanguagePacks::LanguagePacks(const google::protobuf::RepeatedPtrField<v1::LanguagePack>& packs) {
  for (const v1::LanguagePack& pack : packs) {
    packs_.push_back(std::make_unique<const PhrasePack>(pack));
  }
  english_ = Find("en");
}

const PhrasePack* LanguagePacks::Find(absl::string_view tag) const {
  if (tag.empty()) return nullptr;
  for (const auto& pack : packs_) {
    if (absl::EqualsIgnoreCase(pack->language, tag)) return pack.get();
  }
  for (const auto& pack : packs_) {
    if (SameLanguage(pack->language, tag)) return pack.get();
  }
  return nullptr;
}

PackSet LanguagePacks::Select(absl::string_view note_language,
                              absl::string_view sender_locale) const {
  PackSet set;
  auto add = [&set](const PhrasePack* pack) {
    if (pack != nullptr && std::find(set.begin(), set.end(), pack) == set.end()) {
      set.push_back(pack);
    }
  };
  if (packs_.empty()) return set;
  add(Find(note_language));
  add(Find(sender_locale));
  add(english_);
  return set;
}

}  // namespace etiquette
