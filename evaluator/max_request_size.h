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

// The evaluator's default --max_request_bytes: 4 MiB. Not kBatch: a batch with every field at
// its limit is 49,319,000 bytes (about 47 MiB: 1,000 x 49,319, an invitation at every limit
// being 49,315 bytes, 20,565 of them per profile, plus its 4-byte tag and length), and far more
// with 100 shared groups and 100 hiring events each; no platform sends such a batch. Sized by
// the CPU a hostile request may cost instead: receiving and refusing 16 MiB of empty elements
// or unknown fields cost the server 140-190 ms of CPU, 4 MiB under 100 ms
// (hostile.HostileClientTest asserts it). 4 MiB holds a batch of 1,000 invitations of up to
// 4 KB each (complete profiles both sides and a note of a few hundred characters are about
// 1.5 KB); a larger batch is RESOURCE_EXHAUSTED before it is read, and callers split it. An
// EvaluateRequest (one invitation, at most 49,315 bytes with every text at its limit, plus 100
// groups and 100 hiring events) always fits.
inline constexpr size_t kEvaluatorMaxRequestBytes = 4 * 1024 * 1024;

}  // namespace etiquette
