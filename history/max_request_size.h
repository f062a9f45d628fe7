#pragma once

// History's default --max_request_bytes: its largest valid request, a full BatchGetStanding.

#include <cstddef>

#include "common/ids.h"
#include "common/wire_size.h"
#include "history/history.h"

namespace etiquette {
namespace history_request_size {

using wire::LengthDelimitedField;

// GetStandingRequest: sender_id and recipient_id, member ids (64 bytes each).
constexpr size_t kStandingRequest = 2 * LengthDelimitedField(kMaxMemberIdBytes);
// BatchGetStandingRequest: kMaxStandingBatch (1,000) of them. The other calls are smaller: the
// largest, ReleaseSender, is a member id and a 1,024-byte reason.
constexpr size_t kBatch = kMaxStandingBatch * LengthDelimitedField(kStandingRequest);

}  // namespace history_request_size

// 135,000 bytes: 1,000 x (132 bytes of ids + their 3-byte tag and length).
inline constexpr size_t kHistoryMaxRequestBytes = history_request_size::kBatch;

}  // namespace etiquette
