#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace etiquette {

// Converts at the RPC edge; absl and gRPC share the canonical code numbers.
grpc::Status ToGrpcStatus(const absl::Status& status);

// `status` with its message prefixed by the flag it came from ("--hmac_secret_file: ..."), for
// start-up errors; OK stays OK.
absl::Status ForFlag(const std::string& flag, const absl::Status& status);

// OK when `errors` is empty, otherwise INVALID_ARGUMENT listing every error, "; "-separated.
absl::Status InvalidArgumentFromErrors(const std::vector<std::string>& errors);

}  // namespace etiquette
