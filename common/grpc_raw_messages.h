#pragma once

// Messages of callback-API services whose methods are raw (grpc::ByteBuffer in and out; the
// generated WithRawCallbackMethod_* classes), parsed and serialized by the handler itself.
//
// Why: gRPC 1.51's typed callback handlers answer a request that does not parse with
// UNIMPLEMENTED and an empty message (grpcpp/impl/codegen/server_callback_handlers.h), where
// the sync API answers INTERNAL with the parser's reason. ParseRequest runs the same parser
// (grpc::SerializationTraits) as the sync API, so clients see exactly what they saw before.

#include <optional>

#include "common/access_log.h"
#include "google/protobuf/arena.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/status.h"

namespace etiquette {

// One raw call's parsed request and access log, kept (shared) until the call is finished: the
// business code reads the request until its `done` has run, which may be on another thread.
// The request's messages live on the call's arena: one block freed at the end rather than an
// allocation per message (parsing a batch of 100 invitations makes thousands).
template <typename Request>
struct RawCall {
  google::protobuf::Arena arena;
  Request& request = *google::protobuf::Arena::CreateMessage<Request>(&arena);
  std::optional<CallLog> log;  // set once the request parsed
};

// OK, or the sync API's INTERNAL status for bytes that are not a `Message`.
template <typename Message>
grpc::Status ParseRequest(const grpc::ByteBuffer& bytes, Message* message) {
  grpc::ByteBuffer consumed(bytes);  // the parser empties its buffer; this copy shares slices
  return grpc::SerializationTraits<Message>::Deserialize(&consumed, message);
}

// Writes `message` into `bytes` (the call's response); an error status when it cannot.
template <typename Message>
grpc::Status SerializeResponse(const Message& message, grpc::ByteBuffer* bytes) {
  bool own_buffer = false;
  return grpc::SerializationTraits<Message>::Serialize(message, bytes, &own_buffer);
}

}  // namespace etiquette
