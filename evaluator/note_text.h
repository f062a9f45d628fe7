#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace etiquette {

// Text helpers for the note rules. Notes are UTF-8 (protobuf guarantees it for string fields).

// Number of Unicode code points, the unit of the platform's note limits.
size_t CountCodePoints(absl::string_view utf8);

// The words of `text`, lowercased: ASCII letters and digits and any non-ASCII letter bytes form
// words; apostrophes inside a word are dropped ("I'd" -> "id", "don’t" -> "dont"); ASCII
// punctuation and spaces, the no-break space and U+2000-U+206F (dashes, quotes...) separate
// words.
std::vector<std::string> NormalizedWords(absl::string_view text);

// True when `phrase` (already normalised words) occurs as consecutive whole words in `words`.
bool ContainsPhrase(const std::vector<std::string>& words, const std::vector<std::string>& phrase);

// 1 - (word-level edit distance / longer length): 1 for identical word lists, 0 for nothing
// in common. Two empty lists are identical.
double WordSimilarity(const std::vector<std::string>& a, const std::vector<std::string>& b);

}  // namespace etiquette
