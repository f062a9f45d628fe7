#include "common/typed_callback_service.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace etiquette {

const std::string& UnaryReactor::request_id() const {
  static const std::string* const kNone = new std::string();
  return log_ ? log_->request_id() : *kNone;
}

void UnaryReactor::Finish(grpc::Status status) {
  if (status.ok()) status = SerializeResponse(response_bytes_);
  if (log_) log_->Finish(status);
  grpc::ServerUnaryReactor* const reactor = reactor_;
  delete this;  // the response is in its bytes; nothing else outlives the call
  reactor->Finish(std::move(status));
}

grpc::Status NotTheRequest(const google::protobuf::Descriptor& request) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      absl::StrCat("request: not a valid ", request.full_name(),
                                   " (malformed protobuf, or a string field that is not UTF-8)"));
}

namespace typed_callback_internal {

std::string MethodPath(absl::string_view service, absl::string_view method,
                       const google::protobuf::Descriptor* request,
                       const google::protobuf::Descriptor* response) {
  const google::protobuf::ServiceDescriptor* descriptor =
      request->file()->pool()->FindServiceByName(std::string(service));
  const google::protobuf::MethodDescriptor* found =
      descriptor == nullptr ? nullptr : descriptor->FindMethodByName(std::string(method));
  if (found == nullptr || found->input_type() != request || found->output_type() != response ||
      found->client_streaming() || found->server_streaming()) {
    std::fprintf(stderr, "AddUnary: %s/%s is not a unary %s -> %s method\n",
                 std::string(service).c_str(), std::string(method).c_str(),
                 request->full_name().c_str(), response->full_name().c_str());
    std::abort();
  }
  return absl::StrCat("/", service, "/", method);
}

}  // namespace typed_callback_internal
}  // namespace etiquette
