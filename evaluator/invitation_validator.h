#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "etiquette/v1/invitation.pb.h"

namespace etiquette {

inline constexpr size_t kMaxNoteBytes = 8000;
inline constexpr size_t kMaxTextBytes = 4096;
// Repeated fields, checked before anything else in the request is looked at. A real profile
// has a few dozen groups (LinkedIn lets a member join at most 100) and a handful of hiring
// steps per company (applied, interviewed, offered...): the shared ones, and the recent steps
// at one company, stay far under 100 each.
inline constexpr int kMaxSharedGroups = 100;
inline constexpr int kMaxHiringEvents = 100;
// At most this many errors are listed per invitation, then "... and more": a request with a
// million bad elements costs no more to refuse than one with twenty.
inline constexpr size_t kMaxValidationErrors = 20;
// How far in the future a client clock may be before sent_at is refused.
inline constexpr absl::Duration kMaxClockSkew = absl::Minutes(5);

// Checks an invitation against the API contract before any rule sees it. `path` names the
// invitation in messages ("invitation", "invitations[3]"). Returns INVALID_ARGUMENT naming
// every offending field path, "; "-separated (at most kMaxValidationErrors, then
// "... and more"), or OK. `now` is the server's current time. The counts of repeated fields are
// checked first: over a limit, that is the only error ("<path>.relationship.hiring_events: at
// most 100, got 2000000") and no element is looked at.
absl::Status ValidateInvitation(const v1::Invitation& invitation, absl::Time now,
                                absl::string_view path);

}  // namespace etiquette
