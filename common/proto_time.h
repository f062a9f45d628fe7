#pragma once

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace etiquette {

// Timestamps the API accepts: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, nanos in
// [0, 1e9), as google/protobuf/timestamp.proto defines them.
bool IsValidTimestamp(const google::protobuf::Timestamp& ts);

inline absl::Time ToAbslTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

google::protobuf::Timestamp ToTimestamp(absl::Time time);

}  // namespace etiquette
