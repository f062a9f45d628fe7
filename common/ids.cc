#include "common/ids.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace etiquette {
namespace {

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

}  // namespace

void CheckId(absl::string_view id, size_t max_bytes, absl::string_view path,
             std::vector<std::string>* errors) {
  if (id.empty()) {
    errors->push_back(absl::StrCat(path, ": must not be empty"));
    return;
  }
  if (id.size() > max_bytes) {
    errors->push_back(
        absl::StrCat(path, ": must be at most ", max_bytes, " bytes, got ", id.size()));
    return;
  }
  for (char c : id) {
    if (!IsIdChar(c)) {
      errors->push_back(absl::StrCat(path, ": may only contain A-Z a-z 0-9 . _ : -"));
      return;
    }
  }
}

}  // namespace etiquette
