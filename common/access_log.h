#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace etiquette {

// Metadata key of the request id, read from the client and sent back in initial metadata.
inline constexpr char kRequestIdKey[] = "x-request-id";
inline constexpr size_t kMaxRequestIdBytes = 128;

// 1 to kMaxRequestIdBytes bytes of [A-Za-z0-9._:-].
bool IsValidRequestId(absl::string_view id);

// 16 random lowercase hex digits.
std::string NewRequestId();

// The client's x-request-id when it is valid, else a new one. Null context: a new one.
// ServerContextBase: both the sync (grpc::ServerContext) and the callback
// (grpc::CallbackServerContext) APIs' contexts.
std::string RequestIdOf(const grpc::ServerContextBase* context);

// The access log of one call, for the services' handlers:
//
//   CallLog log(context, "Evaluate");            // takes the request id, echoes it back
//   log.SetInvitationId(request->invitation().invitation_id());
//   return log.Finish(status);                   // one LogAccess line
//
// The constructor sends the request id back as "x-request-id" initial metadata (so it must run
// before the handler sends anything). Only validated ids, codes and numbers are logged: method,
// code, duration_us, request_id, then invitation_id and batch_size when set.
class CallLog {
 public:
  // `context` (sync or callback API) may be null (handlers called directly); `method` must
  // outlive the CallLog. Keeps no reference to `context`: Finish may run after the call's
  // handler has returned, on any thread.
  CallLog(grpc::ServerContextBase* context, const char* method);

  CallLog(const CallLog&) = delete;
  CallLog& operator=(const CallLog&) = delete;

  // Kept only when `id` passes the invitation id check (1-128 bytes of [A-Za-z0-9._:-]): an id
  // that failed validation is never logged.
  void SetInvitationId(absl::string_view id);
  void SetBatchSize(int64_t size) { batch_size_ = size; }

  const std::string& request_id() const { return request_id_; }

  // Logs the call with `status`'s code and the time since construction; returns `status`.
  grpc::Status Finish(grpc::Status status) const;

 private:
  const char* const method_;
  const absl::Time start_;
  std::string request_id_;
  std::string invitation_id_;
  int64_t batch_size_ = -1;
};

}  // namespace etiquette
