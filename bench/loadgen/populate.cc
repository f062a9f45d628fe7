#include "bench/loadgen/populate.h"

#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/loadgen/calls.h"
#include "common/grpc_code_name.h"
#include "etiquette/v1/history.grpc.pb.h"

namespace etiquette::loadgen {

int PopulateActiveSenders(const Options& options) {
  auto stub = etiquette::v1::SenderHistory::NewStub(MakeChannel(options.target, 0));
  const etiquette::v1::InvitationResponse responses[] = {
      etiquette::v1::INVITATION_RESPONSE_ACCEPTED, etiquette::v1::INVITATION_RESPONSE_ACCEPTED,
      etiquette::v1::INVITATION_RESPONSE_IGNORED, etiquette::v1::INVITATION_RESPONSE_WITHDRAWN,
      etiquette::v1::INVITATION_RESPONSE_REPORTED_UNKNOWN};
  auto check = [](const grpc::Status& status, const std::string& what) {
    if (status.ok()) return true;
    std::cerr << what << ": " << etiquette::GrpcCodeName(status.error_code()) << " "
              << status.error_message() << "\n";
    return false;
  };
  for (int s = 0; s < options.populate_active_senders; ++s) {
    const std::string sender = absl::StrCat(options.sender_prefix, "-", s);
    auto invitation_id = [&](int i) { return absl::StrCat("inv-", sender, "-", i); };
    auto recipient_id = [&](int i) { return absl::StrCat("m-rcpt-", s, "-", i); };
    for (int i = 0; i < 20; ++i) {
      grpc::ClientContext context;
      etiquette::v1::RecordInvitationRequest request;
      request.set_invitation_id(invitation_id(i));
      request.set_sender_id(sender);
      request.set_recipient_id(recipient_id(i));
      etiquette::v1::RecordInvitationResponse response;
      if (!check(stub->RecordInvitation(&context, request, &response), "RecordInvitation")) {
        return 1;
      }
    }
    for (int i = 0; i < 5; ++i) {
      grpc::ClientContext context;
      etiquette::v1::RecordResponseRequest request;
      request.set_invitation_id(invitation_id(i));
      request.set_sender_id(sender);
      request.set_recipient_id(recipient_id(i));
      request.set_response(responses[i]);
      etiquette::v1::RecordResponseResponse response;
      if (!check(stub->RecordResponse(&context, request, &response), "RecordResponse")) return 1;
    }
  }
  if (!options.quiet) {
    std::cout << "populated " << options.populate_active_senders << " active senders "
              << options.sender_prefix << "-0.." << options.populate_active_senders - 1
              << " (20 invitations, 5 responses each)\n";
  }
  return 0;
}

}  // namespace etiquette::loadgen
