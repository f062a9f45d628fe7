#pragma once

#include <string>

#include "google/protobuf/message.h"

namespace etiquette {

// 12 hex digits identifying a config: FNV-1a (64-bit) of its deterministic serialization, top
// 48 bits. The same function as the evaluator's RulesVersion, for any config message (the
// history service labels etiquette_config_info{version} with it).
std::string ConfigVersion(const google::protobuf::Message& config);

}  // namespace etiquette
