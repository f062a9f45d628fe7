#include "bench/loadgen/requests.h"

#include "absl/strings/str_cat.h"

namespace etiquette::loadgen {

std::string Ids::Invitation(int worker, uint64_t seq) const {
  return absl::StrCat(prefix, worker, "-", seq);
}
std::string Ids::Sender(Rng& rng) const { return absl::StrCat("m-s", rng.Below(senders)); }
std::string Ids::Recipient(Rng& rng) const { return absl::StrCat("m-r", rng.Below(recipients)); }

etiquette::v1::InvitationResponse PickResponse(Rng& rng) {
  const uint64_t x = rng.Below(100);
  if (x < 31) return etiquette::v1::INVITATION_RESPONSE_ACCEPTED;
  if (x < 81) return etiquette::v1::INVITATION_RESPONSE_IGNORED;
  if (x < 91) return etiquette::v1::INVITATION_RESPONSE_WITHDRAWN;
  if (x < 98) return etiquette::v1::INVITATION_RESPONSE_REPORTED_UNKNOWN;
  return etiquette::v1::INVITATION_RESPONSE_REPORTED_SPAM;
}

void SetParties(etiquette::v1::Invitation& invitation, const Ids& ids, Rng& rng) {
  invitation.mutable_sender()->set_member_id(ids.Sender(rng));
  invitation.mutable_recipient()->set_member_id(ids.Recipient(rng));
}

}  // namespace etiquette::loadgen
