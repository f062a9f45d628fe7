#pragma once

#include <string>

#include "google/protobuf/message.h"

namespace etiquette {

// 12 hex digits identifying a config: FNV-1a (64-bit) of its deterministic serialization, top
// 48 bits. The evaluator's rules_version and the history config's version.
std::string ConfigVersion(const google::protobuf::Message& config);

}  // namespace etiquette
