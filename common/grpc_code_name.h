#pragma once

#include "grpcpp/support/status.h"

namespace etiquette {

// The canonical name of a gRPC status code: "OK", "INVALID_ARGUMENT", ...; "UNKNOWN" for a
// number outside the enum.
const char* GrpcCodeName(grpc::StatusCode code);

}  // namespace etiquette
