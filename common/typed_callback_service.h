#pragma once

// Typed unary handlers on gRPC's callback API, served through raw methods so that the request is
// parsed onto an arena and bytes that are not the message keep their status. One adapter for
// every service of both servers and the benchmark's null service:
//
//   class EvaluatorService final : public TypedCallbackService<v1::InvitationEvaluator> {
//    public:
//     EvaluatorService() { AddUnary("Evaluate", &EvaluatorService::Evaluate); }
//     void Evaluate(grpc::CallbackServerContext* context, const v1::EvaluateRequest* request,
//                   v1::EvaluateResponse* response, UnaryReactor* reactor) {
//       reactor->SetInvitationId(request->invitation().invitation_id());
//       response->...;                    // now, or later from any thread
//       reactor->Finish(grpc::Status::OK);
//     }
//   };
//
// The handlers have the shape of gRPC's route_guide callback example, except that the call is
// finished through `reactor` rather than context->DefaultReactor(): its Finish serializes the
// response, writes the access line, then finishes the call.
//
// Why raw methods and not the generated typed ones: gRPC 1.51's typed callback handlers answer a
// request that does not parse with UNIMPLEMENTED and an empty message
// (grpcpp/impl/codegen/server_callback_handlers.h, RunHandler), with or without a
// MessageAllocator (SetMessageAllocatorFor_<Method>), before any service code runs, and the sync
// API with INTERNAL. The contract (tests/badinput/corpus.cc) is the caller's fault, said so:
// bytes that are not the request (malformed protobuf, a string field that is not UTF-8) answer
// INVALID_ARGUMENT with a fixed message naming the request type (kNotTheRequest), and get an
// access line like any call. protobuf's own line about the bytes goes to the log through
// common/protobuf_log.h. The adapter runs the sync API's parser (grpc::SerializationTraits).
//
// The arena: a batch of 100 invitations parses into thousands of messages; on the call's arena
// they are one block freed at the end (10% less CPU per EvaluateBatch, measured back to back).
//
// Measured against the alternative that cannot keep the contract (the generated callback service
// with an arena MessageAllocator, the CallLog in its MessageHolder), 2026-12-04: one binary with
// both, etiquette-evaluator standalone, bench/loadgen Evaluate, closed loop, --inflight 32, 2 s
// warm-up then 10 s, server utime+stime per call, run order adapter, allocator, repeated twice,
// on the shared 2-core machine (load average 4-6): adapter 33.4 and 33.5 us a call, allocator
// 33.2 and 35.5. Against the raw-ByteBuffer handlers this replaces (same loop, order before,
// after, twice): evaluator 35.4 / 39.9 before, 32.7 / 43.7 after; null service 32.7 / 41.6
// before, 28.4 / 38.0 after. Decision: this adapter. The bad-input contract decides; the CPU
// per call of the two is the same within the run-to-run spread.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/access_log.h"
#include "common/field_count_limits.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/impl/codegen/server_callback_handlers.h"
#include "grpcpp/impl/rpc_service_method.h"
#include "grpcpp/impl/service_type.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/server_callback.h"
#include "grpcpp/support/status.h"

namespace etiquette {

// Whether a method's calls get an access line (and an x-request-id echoed back). Only the
// benchmark's null service serves its methods unlogged.
enum class AccessLogging { kLogged, kUnlogged };

// Where a method's response lives: on the call's arena, for handlers that build it in place (the
// evaluator's verdicts: their findings and params entries are then carved from the arena and
// freed with it; protobuf 3.21 still allocates string contents longer than 15 bytes on the
// heap), or on the heap, for handlers that assign a whole message built elsewhere (onto an
// arena that would be a deep copy).
enum class ResponseMemory { kHeap, kArena };

// The first block of each call's arena, inside the call's own allocation: a typical request and
// its verdict fit, so that most calls allocate nothing else for their messages.
inline constexpr size_t kCallArenaBlockBytes = 4096;

// One call of a typed handler: what the handler finishes, from any thread, exactly once.
// Nothing may touch the call's request, response or reactor after Finish.
class UnaryReactor {
 public:
  UnaryReactor(const UnaryReactor&) = delete;
  UnaryReactor& operator=(const UnaryReactor&) = delete;

  // The loggable ids of the request for the access line (see CallLog); no-ops when unlogged.
  void SetInvitationId(absl::string_view id) {
    if (log_) log_->SetInvitationId(id);
  }
  void SetBatchSize(int64_t size) {
    if (log_) log_->SetBatchSize(size);
  }
  // The call's request id (empty when unlogged), for the handler's own log lines.
  const std::string& request_id() const;

  // Serializes the response when `status` is OK (a response that does not serialize turns the
  // call INTERNAL), writes the access line, finishes the call and frees it with its request,
  // response and arena.
  void Finish(grpc::Status status);

 protected:
  UnaryReactor(grpc::ServerUnaryReactor* reactor, grpc::ByteBuffer* response_bytes)
      : reactor_(reactor), response_bytes_(response_bytes) {}
  virtual ~UnaryReactor() = default;

  // Starts the access log (before the request is parsed: bytes that do not parse are logged).
  void StartLog(grpc::CallbackServerContext* context, const char* method) {
    log_.emplace(context, method);
  }

 private:
  virtual grpc::Status SerializeResponse(grpc::ByteBuffer* bytes) const = 0;

  grpc::ServerUnaryReactor* const reactor_;
  grpc::ByteBuffer* const response_bytes_;
  std::optional<CallLog> log_;
};

// The answer to bytes that are not a `request`: INVALID_ARGUMENT, "request: not a valid
// etiquette.v1.EvaluateRequest (malformed protobuf, or a string field that is not UTF-8)". Fixed
// text: nothing of the bytes is echoed.
grpc::Status NotTheRequest(const google::protobuf::Descriptor& request);

namespace typed_callback_internal {

// A call's state: its arena with the request on it, its response, its reactor.
template <typename Request, typename Response>
class UnaryCall final : public UnaryReactor {
 public:
  UnaryCall(grpc::ServerUnaryReactor* reactor, grpc::ByteBuffer* response_bytes,
            ResponseMemory response_memory)
      : UnaryReactor(reactor, response_bytes),
        heap_response_(response_memory == ResponseMemory::kHeap ? new Response() : nullptr),
        response_(heap_response_ ? heap_response_.get()
                                 : google::protobuf::Arena::CreateMessage<Response>(&arena_)) {}

  Request* request() { return request_; }
  Response* response() { return response_; }

  // OK; INVALID_ARGUMENT (the limit's message) when a repeated field holds more elements, or
  // the request more unknown fields, than `limits` allow, counted on the bytes before anything
  // is parsed; INVALID_ARGUMENT (NotTheRequest) for bytes that are not a Request.
  grpc::Status Parse(const grpc::ByteBuffer& bytes, const FieldCountLimits& limits) {
    if (!limits.empty()) {
      grpc::ByteBuffer scanned(bytes);  // readers empty their buffer; copies share the slices
      grpc::ProtoBufferReader reader(&scanned);
      if (!reader.status().ok()) return NotTheRequest(*Request::descriptor());
      if (absl::Status counted = limits.Check(&reader); !counted.ok()) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(counted.message()));
      }
    }
    grpc::ByteBuffer consumed(bytes);
    if (grpc::SerializationTraits<Request>::Deserialize(&consumed, request_).ok()) {
      return grpc::Status::OK;
    }
    return NotTheRequest(*Request::descriptor());
  }
  using UnaryReactor::StartLog;

 private:
  grpc::Status SerializeResponse(grpc::ByteBuffer* bytes) const override {
    bool own_buffer = false;
    return grpc::SerializationTraits<Response>::Serialize(*response_, bytes, &own_buffer);
  }

  static google::protobuf::ArenaOptions ArenaOn(char* block) {
    google::protobuf::ArenaOptions options;
    options.initial_block = block;
    options.initial_block_size = kCallArenaBlockBytes;
    return options;
  }

  // Declared in this order: the arena is destroyed before its first block.
  alignas(8) char arena_block_[kCallArenaBlockBytes];
  google::protobuf::Arena arena_{ArenaOn(arena_block_)};
  Request* const request_ = google::protobuf::Arena::CreateMessage<Request>(&arena_);
  const std::unique_ptr<Response> heap_response_;
  Response* const response_;
};

// The path of `method` in the gRPC service `service` ("/etiquette.v1.X/Method"); aborts when
// the .proto has no such unary method from Request to Response, a programming error found at
// start-up.
std::string MethodPath(absl::string_view service, absl::string_view method,
                       const google::protobuf::Descriptor* request,
                       const google::protobuf::Descriptor* response);

}  // namespace typed_callback_internal

// A gRPC service (`Grpc` is the outer class protoc generates for it, e.g. v1::InvitationEvaluator)
// whose methods the derived class serves with typed handlers, each registered with AddUnary as
// a raw callback method, the way the generated WithRawCallbackMethod_* classes register theirs.
// A method not registered answers UNIMPLEMENTED. (Not derived from the generated Grpc::Service,
// whose sync virtual methods the typed handlers would hide.)
template <typename Grpc>
class TypedCallbackService : public grpc::Service {
 protected:
  // Serves `method` (its name in the .proto) with `handler`, a member of the derived class
  // `Service`, which must outlive the server. For each call: starts the access log
  // (`logging`), counts on the bytes the repeated fields that `count_limits` cap and the
  // unknown fields (at most kMaxUnknownFields), parses the request onto the call's arena (over
  // a limit, or bytes that do not parse: INVALID_ARGUMENT, with its access line; the handler is
  // not called), then runs the handler, which finishes with reactor->Finish. The response is
  // on the heap or on the call's arena (`response_memory`).
  template <typename Service, typename Request, typename Response>
  void AddUnary(const char* method,
                void (Service::*handler)(grpc::CallbackServerContext*, const Request*, Response*,
                                         UnaryReactor*),
                const std::vector<RepeatedFieldLimit>& count_limits = {},
                AccessLogging logging = AccessLogging::kLogged,
                ResponseMemory response_memory = ResponseMemory::kHeap) {
    using Call = typed_callback_internal::UnaryCall<Request, Response>;
    Service* const service = static_cast<Service*>(this);
    // gRPC keeps the path's pointer: it lives in paths_, whose elements never move.
    const std::string& path = paths_.emplace_back(typed_callback_internal::MethodPath(
        Grpc::service_full_name(), method, Request::descriptor(), Response::descriptor()));
    auto* registered = new grpc::internal::RpcServiceMethod(
        path.c_str(), grpc::internal::RpcMethod::NORMAL_RPC,
        new grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>(
            [service, handler, method, logging, response_memory,
             limits =
                 std::make_shared<const FieldCountLimits>(*Request::descriptor(), count_limits)](
                grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes,
                grpc::ByteBuffer* response_bytes) {
              grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
              auto* call = new Call(reactor, response_bytes, response_memory);
              if (logging == AccessLogging::kLogged) call->StartLog(context, method);
              if (grpc::Status parsed = call->Parse(*request_bytes, *limits); !parsed.ok()) {
                call->Finish(std::move(parsed));  // the access line, then the call
                return reactor;
              }
              (service->*handler)(context, call->request(), call->response(), call);
              return reactor;
            }));
    registered->SetServerApiType(grpc::internal::RpcServiceMethod::ApiType::RAW_CALL_BACK);
    this->AddMethod(registered);
  }

 private:
  std::deque<std::string> paths_;
};

}  // namespace etiquette
