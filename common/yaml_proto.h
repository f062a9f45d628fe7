#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace etiquette {

// Merges a YAML document into `message`, strictly. Mapping keys are the message's field
// names; a repeated field's YAML sequence replaces the field's current contents; enum values
// are written by name, either in full (RULE_MODE_ENFORCE) or without the enum's prefix
// (ENFORCE). Unknown keys, wrong types and unparsable values are INVALID_ARGUMENT naming the
// offending path, for example "rules.note_length.free_limit: expected an unsigned integer".
// Fields the document leaves out keep their current values, so callers merge onto defaults.
absl::Status MergeYamlIntoMessage(absl::string_view yaml_text, google::protobuf::Message* message);

// MergeYamlIntoMessage on a file's contents, then `validate` on the result. Every error names
// the file: "<path>: <what>"; a file that cannot be read is NOT_FOUND.
absl::Status MergeYamlFileIntoMessage(
    const std::string& path, google::protobuf::Message* message,
    const std::function<absl::Status(const google::protobuf::Message&)>& validate);

}  // namespace etiquette
