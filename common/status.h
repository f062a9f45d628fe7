#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace etiquette {

// Converts at the RPC edge; absl and gRPC share the canonical code numbers.
grpc::Status ToGrpcStatus(const absl::Status& status);

// OK when `errors` is empty, otherwise INVALID_ARGUMENT listing every error, "; "-separated.
absl::Status InvalidArgumentFromErrors(const std::vector<std::string>& errors);

}  // namespace etiquette
