#include "tests/support/stored_invitations.h"

#include "tests/support/lua/scripts.h"  // generated from tests/support/lua/*.lua

namespace etiquette::testing {

const std::string& StoredInvitationsScript() {
  static const std::string* script = new std::string(lua::kStoredInvitations);
  return *script;
}

}  // namespace etiquette::testing
