#pragma once

// Escaping text as the inside of a JSON string, for the JSON log lines.

#include "absl/strings/string_view.h"

namespace etiquette {

// Appends `text` to `out` escaped for the inside of a JSON string: '"' and '\' escaped, \n \r
// \t as such, other control bytes as \u00XX; every other byte (UTF-8 included) as is. `Buffer`:
// std::string or spdlog::memory_buf_t (anything with append(first, last) and push_back).
template <typename Buffer>
void AppendJsonEscaped(absl::string_view text, Buffer& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto append = [&out](absl::string_view raw) {
    out.append(raw.data(), raw.data() + raw.size());
  };
  for (char c : text) {
    switch (c) {
      case '"':
        append("\\\"");
        break;
      case '\\':
        append("\\\\");
        break;
      case '\n':
        append("\\n");
        break;
      case '\r':
        append("\\r");
        break;
      case '\t':
        append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          const char escaped[] = {'\\', 'u', '0', '0', kHex[(c >> 4) & 0xf], kHex[c & 0xf]};
          append(absl::string_view(escaped, sizeof(escaped)));
        } else {
          out.push_back(c);
        }
    }
  }
}

}  // namespace etiquette
