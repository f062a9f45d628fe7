// One call in flight: a request object reused from call to call (only ids change), its
// context and its outcome; one kind per method. And the channels the calls go on.
#ifndef ETIQUETTE_BENCH_LOADGEN_CALLS_H_
#define ETIQUETTE_BENCH_LOADGEN_CALLS_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "bench/loadgen/requests.h"
#include "etiquette/v1/evaluator.grpc.pb.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/completion_queue.h"

namespace etiquette::loadgen {

using Clock = std::chrono::steady_clock;

// The stubs of one channel (one TCP connection).
struct Stubs {
  std::unique_ptr<etiquette::v1::InvitationEvaluator::Stub> evaluator;
  std::unique_ptr<etiquette::v1::SenderHistory::Stub> history;
};

// A channel to `target` on a connection of its own (distinct `index`, local subchannel pool),
// 64 MiB messages both ways.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target, int index);

// One call slot. The completion queue tag is the Call itself; Outcome() is meaningful once
// the queue returned it.
class Call {
 public:
  Call(const Ids& ids, int worker, uint64_t seed) : ids_(ids), worker_(worker), rng_(seed) {}
  virtual ~Call() = default;

  // Starts call number `seq` on `stub` with a deadline; `intended` is when it was due.
  void Start(Stubs& stubs, grpc::CompletionQueue* cq, uint64_t seq, Clock::time_point intended,
             std::chrono::milliseconds deadline);
  // After the completion: "" when the call succeeded, else the name of the failure (the
  // status code's name, or what was wrong with an OK answer: DEGRADED, WRONG_BATCH_SIZE, ...).
  std::string Outcome() const;
  Clock::time_point intended() const { return intended_; }

 protected:
  virtual void StartRpc(Stubs& stubs, grpc::CompletionQueue* cq, uint64_t seq) = 0;
  virtual std::string CheckResponse() const { return ""; }

  template <typename Reader, typename Response>
  void Finish(Reader& reader, Response* response) {
    reader->StartCall();
    reader->Finish(response, &status_, this);
  }

  const Ids& ids_;
  const int worker_;
  Rng rng_;
  std::unique_ptr<grpc::ClientContext> context_;
  grpc::Status status_;
  Clock::time_point intended_;
};

// A call slot for `method` (one of kMethods; BatchGetStanding for any other name). `base` is
// the invitation the Evaluate methods send (it must outlive the call); `batch_size` the items
// of a batch method's calls.
std::unique_ptr<Call> MakeCall(const std::string& method, int batch_size, const Ids& ids,
                               int worker, uint64_t seed, const etiquette::v1::Invitation& base);

}  // namespace etiquette::loadgen

#endif  // ETIQUETTE_BENCH_LOADGEN_CALLS_H_
