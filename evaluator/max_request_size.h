#pragma once

// The evaluator's request size: what a full EvaluateBatch with every field at its limit
// (evaluator/invitation_validator.cc) would take, and the default --max_request_bytes.

#include <cstddef>
#include <cstdint>

#include "common/ids.h"
#include "common/wire_size.h"
#include "etiquette/v1/invitation.pb.h"
#include "evaluator/evaluator.h"
#include "evaluator/invitation_validator.h"

namespace etiquette {
namespace evaluator_request_size {

using wire::LengthDelimitedField;
using wire::VarintField;

// MemberProfile: member_id (64 bytes), five texts (full_name, headline, summary, company_id,
// company_name, 4,096 bytes each), two bools.
constexpr size_t kProfile = LengthDelimitedField(kMaxMemberIdBytes) +
                            5 * LengthDelimitedField(kMaxTextBytes) + 2 * VarintField(1);
// TwitterRelation: two bools and a uint32.
constexpr size_t kTwitter = 2 * VarintField(1) + VarintField(UINT32_MAX);
// Relationship: familiarity, mutual_connections, twitter. shared_groups and hiring_events are
// counted as empty: the validator bounds each element's texts but not their number, so there is
// no largest valid request with them; a limit on their counts adds its share here.
constexpr size_t kRelationship =
    VarintField(v1::Familiarity_MAX) + VarintField(UINT32_MAX) + LengthDelimitedField(kTwitter);
// Invitation: invitation_id (128), sender, recipient, note (8,000), sent_at, relationship,
// recipient_email_confirmed.
constexpr size_t kInvitation =
    LengthDelimitedField(kMaxInvitationIdBytes) + 2 * LengthDelimitedField(kProfile) +
    LengthDelimitedField(kMaxNoteBytes) + LengthDelimitedField(wire::kLargestTimestamp) +
    LengthDelimitedField(kRelationship) + VarintField(1);
// EvaluateBatchRequest: kMaxBatchSize (1,000) invitations.
constexpr size_t kBatch = kMaxBatchSize * LengthDelimitedField(kInvitation);

}  // namespace evaluator_request_size

// The evaluator's default --max_request_bytes: 16 MiB, the limit before the bounds of issue 11.
// Not kBatch: a batch with every field at its limit is 49,319,000 bytes (about 47 MiB: 1,000 x
// 49,319, an invitation at every limit being 49,315 bytes, 20,565 of them per profile, plus its
// 4-byte tag and length), and far more once shared groups and hiring events (100 of each) are at
// their limits too; no platform sends such a batch, and parsing one would cost gigabytes. 16 MiB
// holds a full batch of 1,000 invitations with long notes and complete profiles. Larger:
// RESOURCE_EXHAUSTED before parsing. An EvaluateRequest (one invitation) is far smaller.
inline constexpr size_t kEvaluatorMaxRequestBytes = 16 * 1024 * 1024;

}  // namespace etiquette
