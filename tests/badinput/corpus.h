#pragma once

// The bad-input corpus: requests that break the API contract of either service, each with the
// exact status code it must get. Every request is sent as raw bytes through gRPC's generic stub,
// so the corpus also holds bytes no typed stub would produce (invalid UTF-8, non-protobuf
// garbage, messages over the server's size limit).

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/support/status.h"

namespace etiquette::badinput {

enum class Server { kEvaluator, kHistory };

// Full method paths.
inline constexpr char kEvaluate[] = "/etiquette.v1.InvitationEvaluator/Evaluate";
inline constexpr char kEvaluateBatch[] = "/etiquette.v1.InvitationEvaluator/EvaluateBatch";
inline constexpr char kRecordInvitation[] = "/etiquette.v1.SenderHistory/RecordInvitation";
inline constexpr char kRecordResponse[] = "/etiquette.v1.SenderHistory/RecordResponse";
inline constexpr char kGetStanding[] = "/etiquette.v1.SenderHistory/GetStanding";
inline constexpr char kBatchGetStanding[] = "/etiquette.v1.SenderHistory/BatchGetStanding";
inline constexpr char kReleaseSender[] = "/etiquette.v1.SenderHistoryAdmin/ReleaseSender";
inline constexpr char kForgetMember[] = "/etiquette.v1.SenderHistoryAdmin/ForgetMember";

// The admin token the test's history server reads from its --admin_token_file.
inline constexpr char kAdminToken[] = "badinput-admin-token-0123456789abcdef";

struct BadInputCase {
  // Unique; letters, digits and '_' only (it becomes the test's name).
  std::string name;
  Server server;
  std::string method;  // full path, "/package.Service/Method"
  // Builds the request bytes, sent exactly as returned. `now` is the test's clock (the servers
  // run on the same machine's clock); time-dependent requests are built just before sending.
  std::function<std::string(absl::Time now)> body;
  grpc::StatusCode expected;
  // Text the status message must contain (the offending field path); empty: not checked.
  std::string message_contains;
  // Send "authorization: Bearer <kAdminToken>" (admin calls).
  bool admin_token = false;
  // EvaluateBatch answered OK: the slot that must carry an error, and that error's code (the
  // other slots must be verdicts without one). -1: not checked.
  int failed_slot = -1;
  grpc::StatusCode failed_slot_code = grpc::StatusCode::OK;
  // Extra request metadata (name, value).
  std::vector<std::pair<std::string, std::string>> metadata = {};
};

// Every case, evaluator cases first; at least 50.
const std::vector<BadInputCase>& Corpus();

}  // namespace etiquette::badinput
