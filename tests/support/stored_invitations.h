#pragma once

#include <string>

namespace etiquette::testing {

// For tests and operators: a read-only Lua script (tests/support/lua/stored_invitations.lua;
// EVAL_RO <it> 1 <the sender's h key>) that answers what RedisHistoryStore's h key holds
// (history/redis_scripts.h): {invitations recorded as sent, of those accepted, invitations known
// only from a response, "w" fields, "p" fields, 1 if big mode else 0}.
const std::string& StoredInvitationsScript();

}  // namespace etiquette::testing
