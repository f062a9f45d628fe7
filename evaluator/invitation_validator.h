#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "etiquette/v1/invitation.pb.h"

namespace etiquette {

inline constexpr size_t kMaxNoteBytes = 8000;
inline constexpr size_t kMaxTextBytes = 4096;
// How far in the future a client clock may be before sent_at is refused.
inline constexpr absl::Duration kMaxClockSkew = absl::Minutes(5);

// Checks an invitation against the API contract before any rule sees it. `path` names the
// invitation in messages ("invitation", "invitations[3]"). Returns INVALID_ARGUMENT naming
// every offending field path, "; "-separated, or OK. `now` is the server's current time.
absl::Status ValidateInvitation(const v1::Invitation& invitation, absl::Time now,
                                absl::string_view path);

}  // namespace etiquette
