#include "common/version.h"

namespace etiquette {

// ETIQUETTE_VERSION is defined for this file only (common/CMakeLists.txt), so that a release
// recompiles one file.
std::string_view EtiquetteVersion() { return ETIQUETTE_VERSION; }

}  // namespace etiquette
