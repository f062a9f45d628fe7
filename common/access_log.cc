#include "common/access_log.h"

#include <random>
#include <vector>

#include "absl/time/clock.h"
#include "common/access_logger.h"
#include "common/grpc_code_name.h"
#include "common/ids.h"

namespace etiquette {

bool IsValidRequestId(absl::string_view id) {
  std::vector<std::string> errors;
  CheckId(id, kMaxRequestIdBytes, "x-request-id", &errors);
  return errors.empty();
}

std::string NewRequestId() {
  static constexpr char kHex[] = "0123456789abcdef";
  thread_local std::mt19937_64 random{std::random_device{}()};
  uint64_t bits = random();
  std::string id(16, '0');
  for (char& c : id) {
    c = kHex[bits & 0xf];
    bits >>= 4;
  }
  return id;
}

std::string RequestIdOf(const grpc::ServerContextBase* context) {
  if (context != nullptr) {
    const auto& metadata = context->client_metadata();
    if (auto it = metadata.find(kRequestIdKey); it != metadata.end()) {
      const absl::string_view id(it->second.data(), it->second.size());
      if (IsValidRequestId(id)) return std::string(id);
    }
  }
  return NewRequestId();
}

CallLog::CallLog(grpc::ServerContextBase* context, const char* method)
    : method_(method), start_(absl::Now()), request_id_(RequestIdOf(context)) {
  if (context != nullptr) context->AddInitialMetadata(kRequestIdKey, request_id_);
}

void CallLog::SetInvitationId(absl::string_view id) {
  std::vector<std::string> errors;
  CheckId(id, kMaxInvitationIdBytes, "invitation_id", &errors);
  if (errors.empty()) {
    invitation_id_ = std::string(id);
  } else {
    invitation_id_.clear();
  }
}

grpc::Status CallLog::Finish(grpc::Status status) const {
  AccessRecord record;
  record.method = method_;
  record.code = GrpcCodeName(status.error_code());
  record.duration_us = absl::ToInt64Microseconds(absl::Now() - start_);
  record.request_id = request_id_;
  if (!invitation_id_.empty()) {
    record.fields.push_back(AccessField::Text("invitation_id", invitation_id_));
  }
  if (batch_size_ >= 0) record.fields.push_back(AccessField::Number("batch_size", batch_size_));
  LogAccess(record);
  return status;
}

}  // namespace etiquette
