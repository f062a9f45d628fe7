// gRPC's length-prefixed message framing (the body of a gRPC call over HTTP/2): one byte
// "compressed" flag, four bytes big-endian length, the serialized message. For bodies sent by
// tools that know HTTP/2 but not gRPC (h2load, nghttp).
#ifndef ETIQUETTE_BENCH_H2LOAD_GRPC_FRAME_H_
#define ETIQUETTE_BENCH_H2LOAD_GRPC_FRAME_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"

namespace etiquette::bench {

// The message as one uncompressed gRPC frame.
inline std::string GrpcFrame(const google::protobuf::MessageLite& message) {
  const std::string payload = message.SerializeAsString();
  const uint32_t n = static_cast<uint32_t>(payload.size());
  std::string frame;
  frame.reserve(5 + payload.size());
  frame.push_back('\0');
  frame.push_back(static_cast<char>(n >> 24));
  frame.push_back(static_cast<char>(n >> 16));
  frame.push_back(static_cast<char>(n >> 8));
  frame.push_back(static_cast<char>(n));
  frame += payload;
  return frame;
}

// The payload of a body that is exactly one uncompressed frame: an error for a short header, a
// set compressed flag, a length that is not the rest of the body.
inline absl::StatusOr<std::string> GrpcUnframe(absl::string_view body) {
  if (body.size() < 5) return absl::InvalidArgumentError("shorter than a gRPC frame header");
  if (body[0] != '\0') return absl::InvalidArgumentError("compressed flag set");
  const uint32_t n = (static_cast<uint32_t>(static_cast<unsigned char>(body[1])) << 24) |
                     (static_cast<uint32_t>(static_cast<unsigned char>(body[2])) << 16) |
                     (static_cast<uint32_t>(static_cast<unsigned char>(body[3])) << 8) |
                     static_cast<uint32_t>(static_cast<unsigned char>(body[4]));
  if (body.size() - 5 != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame length ", n, " but ", body.size() - 5, " bytes follow the header"));
  }
  return std::string(body.substr(5));
}

}  // namespace etiquette::bench

#endif  // ETIQUETTE_BENCH_H2LOAD_GRPC_FRAME_H_
