#pragma once

#include <string_view>

namespace etiquette {

// The release version, "X.Y.Z", from CMake's project(VERSION) (set by scripts/release.sh).
std::string_view EtiquetteVersion();

}  // namespace etiquette
