// etiquette-loadgen: a gRPC load generator for the etiquette services (async client API, one
// completion queue per thread, one or more channels, each its own TCP connection).
//
//   etiquette-loadgen --target=127.0.0.1:50051 --method=Evaluate --mode=closed --inflight=64
//   etiquette-loadgen --target=127.0.0.1:50051 --method=Evaluate --mode=open --rate=5000
//
// Closed loop: --inflight calls are always in flight; each completion starts the next call.
// Throughput and latency count the calls that complete inside the measurement window
// [warmup_s, warmup_s + duration_s).
//
// Open loop: calls are sent on a fixed schedule (--rate calls/s, evenly spaced), whether or not
// earlier calls have answered. Latency is measured from each call's *scheduled* send time, so
// a server (or client) that falls behind shows up in the latency instead of slowing the
// schedule down (no coordinated omission). The window counts the calls scheduled inside it,
// each waited for until it completes or its deadline passes.
//
// Every response's status is checked; a failed call (any status but OK, a batch answer of the
// wrong size or with a failed slot, a verdict that is "degraded" because the evaluator's
// history service did not answer) is counted under its status code (or DEGRADED, SLOT_<code>,
// WRONG_BATCH_SIZE, ...) and never as done.
// Prints a text report, and a JSON one with --json=FILE.
//
// --calls=N (closed loop): send exactly N calls, then stop (no warm-up, no window); used to
// count Redis commands per call. --populate_active_senders=K: make K senders "active" (20
// RecordInvitation + 5 RecordResponse each, sequentially) with ids <sender_prefix>-<k>, then
// exit; used to measure Redis memory per active sender.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/typical_invitation.h"
#include "common/command_line.h"
#include "common/grpc_code_name.h"
#include "etiquette/v1/evaluator.grpc.pb.h"
#include "etiquette/v1/history.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace {

using Clock = std::chrono::steady_clock;
using etiquette::v1::InvitationEvaluator;
using etiquette::v1::SenderHistory;

// ------------------------------------------------------------------------------------------
// Options

struct Options {
  std::string target;
  std::string method = "Evaluate";
  std::string mode = "closed";
  int inflight = 32;
  std::string rate = "1000";
  std::string duration_s = "10";
  std::string warmup_s = "2";
  int batch_size = 100;
  int threads = 2;
  int channels = 0;  // 0 = one per thread
  int deadline_ms = 10000;
  int senders = 10000;
  int recipients = 100000;
  int calls = 0;
  int max_outstanding = 50000;
  int populate_active_senders = 0;
  std::string sender_prefix = "m-active";
  std::string id_prefix;  // default: from the start time, so that runs never reuse ids
  std::string json;
  bool quiet = false;

  double rate_value = 0;
  double duration_value = 0;
  double warmup_value = 0;
};

// ------------------------------------------------------------------------------------------
// Request contents

// xorshift64*: cheap, per-call-object state.
struct Rng {
  uint64_t state;
  explicit Rng(uint64_t seed) : state(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  uint64_t Next() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 2685821657736338717ULL;
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
};

// Where requests get their ids: distinct invitation ids, senders and recipients from pools.
struct Ids {
  std::string prefix;  // "inv-<run>-"
  int senders;
  int recipients;

  std::string Invitation(int worker, uint64_t seq) const {
    return absl::StrCat(prefix, worker, "-", seq);
  }
  std::string Sender(Rng& rng) const { return absl::StrCat("m-s", rng.Below(senders)); }
  std::string Recipient(Rng& rng) const { return absl::StrCat("m-r", rng.Below(recipients)); }
};

// What recipients do with invitations, roughly as often as the reference says: ~31% accept.
etiquette::v1::InvitationResponse PickResponse(Rng& rng) {
  const uint64_t x = rng.Below(100);
  if (x < 31) return etiquette::v1::INVITATION_RESPONSE_ACCEPTED;
  if (x < 81) return etiquette::v1::INVITATION_RESPONSE_IGNORED;
  if (x < 91) return etiquette::v1::INVITATION_RESPONSE_WITHDRAWN;
  if (x < 98) return etiquette::v1::INVITATION_RESPONSE_REPORTED_UNKNOWN;
  return etiquette::v1::INVITATION_RESPONSE_REPORTED_SPAM;
}

void SetParties(etiquette::v1::Invitation& invitation, const Ids& ids, Rng& rng) {
  invitation.mutable_sender()->set_member_id(ids.Sender(rng));
  invitation.mutable_recipient()->set_member_id(ids.Recipient(rng));
}

// ------------------------------------------------------------------------------------------
// Calls

struct Stubs {
  std::unique_ptr<InvitationEvaluator::Stub> evaluator;
  std::unique_ptr<SenderHistory::Stub> history;
};

// One call slot: a request object reused from call to call (only ids change), its context and
// its outcome. The completion queue tag is the Call itself.
class Call {
 public:
  Call(const Ids& ids, int worker, uint64_t seed) : ids_(ids), worker_(worker), rng_(seed) {}
  virtual ~Call() = default;

  // Starts call number `seq` on `stub` with a deadline; `intended` is when it was due.
  void Start(Stubs& stubs, grpc::CompletionQueue* cq, uint64_t seq, Clock::time_point intended,
             std::chrono::milliseconds deadline) {
    intended_ = intended;
    context_ = std::make_unique<grpc::ClientContext>();
    context_->set_deadline(std::chrono::system_clock::now() + deadline);
    status_ = grpc::Status();
    StartRpc(stubs, cq, seq);
  }
  // After the completion: "" when the call succeeded, else the name of the failure.
  std::string Outcome() const {
    if (!status_.ok()) return etiquette::GrpcCodeName(status_.error_code());
    return CheckResponse();
  }
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

class EvaluateCall final : public Call {
 public:
  EvaluateCall(const Ids& ids, int worker, uint64_t seed, const etiquette::v1::Invitation& base)
      : Call(ids, worker, seed) {
    *request_.mutable_invitation() = base;
  }

 private:
  void StartRpc(Stubs& stubs, grpc::CompletionQueue* cq, uint64_t seq) override {
    etiquette::v1::Invitation& invitation = *request_.mutable_invitation();
    invitation.set_invitation_id(ids_.Invitation(worker_, seq));
    SetParties(invitation, ids_, rng_);
    response_.Clear();
    reader_ = stubs.evaluator->PrepareAsyncEvaluate(context_.get(), request_, cq);
    Finish(reader_, &response_);
  }
  std::string CheckResponse() const override {
    const etiquette::v1::Verdict& verdict = response_.verdict();
    if (verdict.decision() == etiquette::v1::DECISION_UNSPECIFIED) return "NO_DECISION";
    if (verdict.invitation_id() != request_.invitation().invitation_id()) return "WRONG_ID";
    // Judged without history (it did not answer in time): not the call that was measured.
    if (verdict.degraded()) return "DEGRADED";
    return "";
  }

  etiquette::v1::EvaluateRequest request_;
  etiquette::v1::EvaluateResponse response_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etiquette::v1::EvaluateResponse>> reader_;
};

class EvaluateBatchCall final : public Call {
 public:
  EvaluateBatchCall(const Ids& ids, int worker, uint64_t seed,
                    const etiquette::v1::Invitation& base, int batch_size)
      : Call(ids, worker, seed) {
    for (int i = 0; i < batch_size; ++i) *request_.add_invitations() = base;
  }

 private:
  void StartRpc(Stubs& stubs, grpc::CompletionQueue* cq, uint64_t seq) override {
    int i = 0;
    for (etiquette::v1::Invitation& invitation : *request_.mutable_invitations()) {
      invitation.set_invitation_id(absl::StrCat(ids_.Invitation(worker_, seq), ".", i++));
      SetParties(invitation, ids_, rng_);
    }
    response_.Clear();
    reader_ = stubs.evaluator->PrepareAsyncEvaluateBatch(context_.get(), request_, cq);
    Finish(reader_, &response_);
  }
  std::string CheckResponse() const override {
    if (response_.verdicts_size() != request_.invitations_size()) return "WRONG_BATCH_SIZE";
    for (const etiquette::v1::Verdict& verdict : response_.verdicts()) {
      if (verdict.has_error()) {
        return absl::StrCat("SLOT_", etiquette::GrpcCodeName(
                                         static_cast<grpc::StatusCode>(verdict.error().code())));
      }
      if (verdict.decision() == etiquette::v1::DECISION_UNSPECIFIED) return "NO_DECISION";
      if (verdict.degraded()) return "DEGRADED";
    }
    return "";
  }

  etiquette::v1::EvaluateBatchRequest request_;
  etiquette::v1::EvaluateBatchResponse response_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etiquette::v1::EvaluateBatchResponse>> reader_;
};

class RecordInvitationCall final : public Call {
 public:
  using Call::Call;

 private:
  void StartRpc(Stubs& stubs, grpc::CompletionQueue* cq, uint64_t seq) override {
    request_.set_invitation_id(ids_.Invitation(worker_, seq));
    request_.set_sender_id(ids_.Sender(rng_));
    request_.set_recipient_id(ids_.Recipient(rng_));
    response_.Clear();
    reader_ = stubs.history->PrepareAsyncRecordInvitation(context_.get(), request_, cq);
    Finish(reader_, &response_);
  }
  std::string CheckResponse() const override {
    return response_.standing().sender_id() == request_.sender_id() ? "" : "WRONG_SENDER";
  }

  etiquette::v1::RecordInvitationRequest request_;
  etiquette::v1::RecordInvitationResponse response_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etiquette::v1::RecordInvitationResponse>> reader_;
};

// A response to an invitation the store has not seen (the platform recorded it elsewhere or
// long ago): the write path of RecordResponse, with a realistic mix of responses.
class RecordResponseCall final : public Call {
 public:
  using Call::Call;

 private:
  void StartRpc(Stubs& stubs, grpc::CompletionQueue* cq, uint64_t seq) override {
    request_.set_invitation_id(ids_.Invitation(worker_, seq));
    request_.set_sender_id(ids_.Sender(rng_));
    request_.set_recipient_id(ids_.Recipient(rng_));
    request_.set_response(PickResponse(rng_));
    response_.Clear();
    reader_ = stubs.history->PrepareAsyncRecordResponse(context_.get(), request_, cq);
    Finish(reader_, &response_);
  }
  std::string CheckResponse() const override {
    return response_.standing().sender_id() == request_.sender_id() ? "" : "WRONG_SENDER";
  }

  etiquette::v1::RecordResponseRequest request_;
  etiquette::v1::RecordResponseResponse response_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etiquette::v1::RecordResponseResponse>> reader_;
};

class GetStandingCall final : public Call {
 public:
  using Call::Call;

 private:
  void StartRpc(Stubs& stubs, grpc::CompletionQueue* cq, uint64_t) override {
    request_.set_sender_id(ids_.Sender(rng_));
    request_.set_recipient_id(ids_.Recipient(rng_));
    response_.Clear();
    reader_ = stubs.history->PrepareAsyncGetStanding(context_.get(), request_, cq);
    Finish(reader_, &response_);
  }
  std::string CheckResponse() const override {
    return response_.standing().sender_id() == request_.sender_id() ? "" : "WRONG_SENDER";
  }

  etiquette::v1::GetStandingRequest request_;
  etiquette::v1::GetStandingResponse response_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etiquette::v1::GetStandingResponse>> reader_;
};

class BatchGetStandingCall final : public Call {
 public:
  BatchGetStandingCall(const Ids& ids, int worker, uint64_t seed, int batch_size)
      : Call(ids, worker, seed) {
    for (int i = 0; i < batch_size; ++i) request_.add_requests();
  }

 private:
  void StartRpc(Stubs& stubs, grpc::CompletionQueue* cq, uint64_t) override {
    for (etiquette::v1::GetStandingRequest& one : *request_.mutable_requests()) {
      one.set_sender_id(ids_.Sender(rng_));
      one.set_recipient_id(ids_.Recipient(rng_));
    }
    response_.Clear();
    reader_ = stubs.history->PrepareAsyncBatchGetStanding(context_.get(), request_, cq);
    Finish(reader_, &response_);
  }
  std::string CheckResponse() const override {
    return response_.standings_size() == request_.requests_size() ? "" : "WRONG_BATCH_SIZE";
  }

  etiquette::v1::BatchGetStandingRequest request_;
  etiquette::v1::BatchGetStandingResponse response_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<etiquette::v1::BatchGetStandingResponse>> reader_;
};

const char* const kMethods[] = {"Evaluate",       "EvaluateBatch", "RecordInvitation",
                                "RecordResponse", "GetStanding",   "BatchGetStanding"};

bool IsBatch(const std::string& method) {
  return method == "EvaluateBatch" || method == "BatchGetStanding";
}

// ------------------------------------------------------------------------------------------
// Workers

struct Totals {
  uint64_t ok = 0;
  std::map<std::string, uint64_t> errors;
  uint64_t dropped = 0;  // open loop: not sent, too many calls outstanding
  std::vector<int64_t> latencies_ns;
};

class Worker {
 public:
  Worker(const Options& options, const Ids& ids, int index, std::vector<Stubs*> stubs,
         const etiquette::v1::Invitation& base)
      : options_(options), ids_(ids), index_(index), stubs_(std::move(stubs)), base_(base) {}

  std::unique_ptr<Call> NewCall() {
    const uint64_t seed = (static_cast<uint64_t>(index_) << 32) + ++calls_made_;
    const std::string& m = options_.method;
    if (m == "Evaluate") return std::make_unique<EvaluateCall>(ids_, index_, seed, base_);
    if (m == "EvaluateBatch") {
      return std::make_unique<EvaluateBatchCall>(ids_, index_, seed, base_, options_.batch_size);
    }
    if (m == "RecordInvitation") return std::make_unique<RecordInvitationCall>(ids_, index_, seed);
    if (m == "RecordResponse") return std::make_unique<RecordResponseCall>(ids_, index_, seed);
    if (m == "GetStanding") return std::make_unique<GetStandingCall>(ids_, index_, seed);
    return std::make_unique<BatchGetStandingCall>(ids_, index_, seed, options_.batch_size);
  }

  void Record(const Call& call, Clock::time_point done) {
    const std::string outcome = call.Outcome();
    if (outcome.empty()) {
      ++totals_.ok;
      totals_.latencies_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(done - call.intended()).count());
    } else {
      ++totals_.errors[outcome];
    }
  }

  Stubs& NextStubs() { return *stubs_[next_stub_++ % stubs_.size()]; }

  // Closed loop: `slots` calls in flight until `end` (or until `budget` calls were sent, when
  // it is non-null); counts completions in [window_start, end).
  void RunClosed(int slots, Clock::time_point window_start, Clock::time_point end,
                 std::atomic<int64_t>* budget) {
    const auto deadline = std::chrono::milliseconds(options_.deadline_ms);
    std::vector<std::unique_ptr<Call>> calls;
    int outstanding = 0;
    auto try_start = [&](Call& call) {
      if (budget != nullptr && budget->fetch_sub(1) <= 0) return false;
      call.Start(NextStubs(), &cq_, seq_++, Clock::now(), deadline);
      ++outstanding;
      return true;
    };
    for (int i = 0; i < slots; ++i) {
      calls.push_back(NewCall());
      if (!try_start(*calls.back())) break;
    }
    void* tag = nullptr;
    bool ok = false;
    while (outstanding > 0 && cq_.Next(&tag, &ok)) {
      --outstanding;
      Call& call = *static_cast<Call*>(tag);
      const Clock::time_point now = Clock::now();
      if (budget != nullptr || (now >= window_start && now < end)) Record(call, now);
      if (budget != nullptr || now < end) try_start(call);
    }
  }

  // Open loop: sends at `rate` calls/s from `start` until `end`, from this thread; a poller
  // thread takes completions. Counts calls scheduled in [window_start, end).
  void RunOpen(double rate, Clock::time_point start, Clock::time_point window_start,
               Clock::time_point end) {
    const auto deadline = std::chrono::milliseconds(options_.deadline_ms);
    std::mutex mutex;
    std::vector<std::unique_ptr<Call>> all;  // owns every call object
    std::vector<Call*> free;                 // guarded by mutex
    int64_t outstanding = 0;                 // guarded by mutex
    bool sending_done = false;               // guarded by mutex
    std::condition_variable drained;

    std::thread poller([&] {
      void* tag = nullptr;
      bool ok = false;
      while (cq_.Next(&tag, &ok)) {
        Call* call = static_cast<Call*>(tag);
        const Clock::time_point now = Clock::now();
        if (call->intended() >= window_start && call->intended() < end) Record(*call, now);
        std::lock_guard<std::mutex> lock(mutex);
        free.push_back(call);
        if (--outstanding == 0 && sending_done) drained.notify_all();
      }
    });

    const double interval_ns = 1e9 / rate;
    for (uint64_t k = 0;; ++k) {
      const Clock::time_point due =
          start + std::chrono::nanoseconds(static_cast<int64_t>(std::llround(k * interval_ns)));
      if (due >= end) break;
      if (Clock::now() < due) std::this_thread::sleep_until(due);
      Call* call = nullptr;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (outstanding >= options_.max_outstanding) {
          if (due >= window_start) ++dropped_;
          continue;
        }
        ++outstanding;
        if (!free.empty()) {
          call = free.back();
          free.pop_back();
        }
      }
      if (call == nullptr) {
        all.push_back(NewCall());
        call = all.back().get();
      }
      call->Start(NextStubs(), &cq_, seq_++, due, deadline);
    }
    {
      std::unique_lock<std::mutex> lock(mutex);
      sending_done = true;
      drained.wait(lock, [&] { return outstanding == 0; });
    }
    cq_.Shutdown();
    poller.join();
    totals_.dropped = dropped_;
  }

  void ShutdownQueue() {
    cq_.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  Totals& totals() { return totals_; }

 private:
  const Options& options_;
  const Ids& ids_;
  const int index_;
  std::vector<Stubs*> stubs_;
  const etiquette::v1::Invitation& base_;
  grpc::CompletionQueue cq_;
  uint64_t seq_ = 0;
  uint64_t calls_made_ = 0;
  size_t next_stub_ = 0;
  uint64_t dropped_ = 0;
  Totals totals_;
};

// ------------------------------------------------------------------------------------------
// Reporting

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)]) / 1e6;
}

std::string Num(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  return buffer;
}

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

struct Report {
  const Options* options;
  double window_s = 0;
  Totals totals;
  double cpu_s = 0;
  double cpu_wall_s = 0;
  long nproc = 1;

  double cpu_cores() const { return cpu_wall_s > 0 ? cpu_s / cpu_wall_s : 0; }

  uint64_t failed() const {
    uint64_t n = 0;
    for (const auto& [name, count] : totals.errors) n += count;
    return n;
  }
  double calls_per_s() const { return window_s > 0 ? totals.ok / window_s : 0; }
  int items_per_call() const { return IsBatch(options->method) ? options->batch_size : 1; }

  std::string Text() const {
    const std::vector<int64_t>& l = totals.latencies_ns;
    std::string out = absl::StrCat(
        options->method, " ", options->mode,
        options->mode == "closed" ? absl::StrCat(" inflight=", options->inflight)
                                  : absl::StrCat(" rate=", Num(options->rate_value)),
        IsBatch(options->method) ? absl::StrCat(" batch_size=", options->batch_size) : "",
        " threads=", options->threads, " channels=", options->channels, " -> ", options->target,
        "\n");
    absl::StrAppend(&out, "  window        ", Num(window_s), " s\n");
    absl::StrAppend(&out, "  calls ok      ", totals.ok, "  (", Num(calls_per_s()), " calls/s",
                    IsBatch(options->method)
                        ? absl::StrCat(", ", Num(calls_per_s() * items_per_call()), " items/s")
                        : "",
                    ")\n");
    absl::StrAppend(&out, "  calls failed  ", failed());
    for (const auto& [name, count] : totals.errors) absl::StrAppend(&out, "  ", name, "=", count);
    absl::StrAppend(&out, "\n");
    if (totals.dropped > 0) {
      absl::StrAppend(&out, "  not sent      ", totals.dropped,
                      " (more than --max_outstanding calls in flight)\n");
    }
    absl::StrAppend(&out, "  latency ms    p50 ", Num(Percentile(l, 0.50)), "  p90 ",
                    Num(Percentile(l, 0.90)), "  p99 ", Num(Percentile(l, 0.99)), "  p99.9 ",
                    Num(Percentile(l, 0.999)), "  max ", Num(Percentile(l, 1.0)), "\n");
    absl::StrAppend(&out, "  loadgen CPU   ", Num(cpu_cores()), " cores (",
                    Num(100 * cpu_cores() / nproc), "% of ", nproc, ")\n");
    return out;
  }

  std::string Json() const {
    const std::vector<int64_t>& l = totals.latencies_ns;
    double mean = 0;
    for (int64_t v : l) mean += static_cast<double>(v);
    if (!l.empty()) mean /= static_cast<double>(l.size()) * 1e6;
    std::string errors = "{";
    for (const auto& [name, count] : totals.errors) {
      if (errors.size() > 1) errors += ",";
      absl::StrAppend(&errors, JsonString(name), ":", count);
    }
    errors += "}";
    return absl::StrCat(
        "{\"target\":", JsonString(options->target), ",\"method\":", JsonString(options->method),
        ",\"mode\":", JsonString(options->mode), ",\"inflight\":", options->inflight,
        ",\"rate_target\":", Num(options->mode == "open" ? options->rate_value : 0),
        ",\"batch_size\":", items_per_call(), ",\"threads\":", options->threads,
        ",\"channels\":", options->channels, ",\"duration_s\":", Num(options->duration_value),
        ",\"warmup_s\":", Num(options->warmup_value), ",\"window_s\":", Num(window_s),
        ",\"calls_ok\":", totals.ok, ",\"calls_failed\":", failed(), ",\"errors\":", errors,
        ",\"not_sent\":", totals.dropped, ",\"calls_per_s\":", Num(calls_per_s()),
        ",\"items_per_s\":", Num(calls_per_s() * items_per_call()),
        ",\"latency_ms\":{\"p50\":", Num(Percentile(l, 0.50)),
        ",\"p90\":", Num(Percentile(l, 0.90)), ",\"p99\":", Num(Percentile(l, 0.99)),
        ",\"p999\":", Num(Percentile(l, 0.999)), ",\"max\":", Num(Percentile(l, 1.0)),
        ",\"mean\":", Num(mean), "}", ",\"loadgen_cpu_cores\":", Num(cpu_cores()),
        ",\"loadgen_cpu_share\":", Num(cpu_cores() / nproc), ",\"nproc\":", nproc, "}\n");
  }
};

// ------------------------------------------------------------------------------------------

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target, int index) {
  grpc::ChannelArguments arguments;
  // Distinct arguments and a local subchannel pool: each channel gets its own connection.
  arguments.SetInt("etiquette.loadgen.channel", index);
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  arguments.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  arguments.SetMaxSendMessageSize(64 * 1024 * 1024);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments);
}

// 20 RecordInvitation + 5 RecordResponse for each of `count` new senders, sequentially.
int PopulateActiveSenders(const Options& options) {
  auto stub = SenderHistory::NewStub(MakeChannel(options.target, 0));
  const etiquette::v1::InvitationResponse responses[] = {
      etiquette::v1::INVITATION_RESPONSE_ACCEPTED, etiquette::v1::INVITATION_RESPONSE_ACCEPTED,
      etiquette::v1::INVITATION_RESPONSE_IGNORED, etiquette::v1::INVITATION_RESPONSE_WITHDRAWN,
      etiquette::v1::INVITATION_RESPONSE_REPORTED_UNKNOWN};
  auto check = [](const grpc::Status& status, const std::string& what) {
    if (status.ok()) return true;
    std::cerr << what << ": " << etiquette::GrpcCodeName(status.error_code()) << " "
              << status.error_message() << "\n";
    return false;
  };
  for (int s = 0; s < options.populate_active_senders; ++s) {
    const std::string sender = absl::StrCat(options.sender_prefix, "-", s);
    auto invitation_id = [&](int i) { return absl::StrCat("inv-", sender, "-", i); };
    auto recipient_id = [&](int i) { return absl::StrCat("m-rcpt-", s, "-", i); };
    for (int i = 0; i < 20; ++i) {
      grpc::ClientContext context;
      etiquette::v1::RecordInvitationRequest request;
      request.set_invitation_id(invitation_id(i));
      request.set_sender_id(sender);
      request.set_recipient_id(recipient_id(i));
      etiquette::v1::RecordInvitationResponse response;
      if (!check(stub->RecordInvitation(&context, request, &response), "RecordInvitation")) {
        return 1;
      }
    }
    for (int i = 0; i < 5; ++i) {
      grpc::ClientContext context;
      etiquette::v1::RecordResponseRequest request;
      request.set_invitation_id(invitation_id(i));
      request.set_sender_id(sender);
      request.set_recipient_id(recipient_id(i));
      request.set_response(responses[i]);
      etiquette::v1::RecordResponseResponse response;
      if (!check(stub->RecordResponse(&context, request, &response), "RecordResponse")) return 1;
    }
  }
  if (!options.quiet) {
    std::cout << "populated " << options.populate_active_senders << " active senders "
              << options.sender_prefix << "-0.." << options.populate_active_senders - 1
              << " (20 invitations, 5 responses each)\n";
  }
  return 0;
}

bool ParseSeconds(const std::string& text, const char* name, double* out) {
  if (!absl::SimpleAtod(text, out) || !(*out >= 0)) {
    std::cerr << "--" << name << ": expected a number of seconds, got \"" << text << "\"\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  etiquette::CommandLine command_line;
  command_line.AddString("target", &options.target, "server host:port (required)");
  command_line.AddString("method", &options.method,
                         "Evaluate, EvaluateBatch, RecordInvitation, RecordResponse, "
                         "GetStanding or BatchGetStanding");
  command_line.AddString("mode", &options.mode, "closed (--inflight calls) or open (--rate)");
  command_line.AddInt("inflight", &options.inflight, "closed loop: calls in flight");
  command_line.AddString("rate", &options.rate, "open loop: target calls/s");
  command_line.AddString("duration_s", &options.duration_s, "measurement window, seconds");
  command_line.AddString("warmup_s", &options.warmup_s, "warm-up before the window, seconds");
  command_line.AddInt("batch_size", &options.batch_size,
                      "EvaluateBatch / BatchGetStanding: items per call");
  command_line.AddInt("threads", &options.threads, "threads, each with a completion queue");
  command_line.AddInt("channels", &options.channels,
                      "channels (one TCP connection each); 0 = one per thread");
  command_line.AddInt("deadline_ms", &options.deadline_ms, "deadline of each call");
  command_line.AddInt("senders", &options.senders, "size of the pool of sender ids");
  command_line.AddInt("recipients", &options.recipients, "size of the pool of recipient ids");
  command_line.AddInt("calls", &options.calls,
                      "closed loop: send exactly this many calls, no warm-up (0 = use the "
                      "duration)");
  command_line.AddInt("max_outstanding", &options.max_outstanding,
                      "open loop: calls in flight beyond which a due call is not sent "
                      "(counted as not sent)");
  command_line.AddInt("populate_active_senders", &options.populate_active_senders,
                      "make this many senders active (20 invitations, 5 responses) and exit");
  command_line.AddString("sender_prefix", &options.sender_prefix,
                         "--populate_active_senders: sender ids are <prefix>-<k>");
  command_line.AddString("id_prefix", &options.id_prefix,
                         "invitation id prefix (default: unique per run)");
  command_line.AddString("json", &options.json, "also write the report as JSON to this file");
  command_line.AddBool("quiet", &options.quiet, "no text report");
  if (absl::Status s = command_line.Parse(argc, argv); !s.ok()) {
    std::cerr << s.message() << "\n" << command_line.Usage(argv[0]);
    return 2;
  }
  if (command_line.help_requested()) {
    std::cout << command_line.Usage(argv[0]);
    return 0;
  }
  if (options.target.empty()) {
    std::cerr << "--target is required\n";
    return 2;
  }
  if (options.populate_active_senders > 0) return PopulateActiveSenders(options);
  if (std::find(std::begin(kMethods), std::end(kMethods), options.method) == std::end(kMethods)) {
    std::cerr << "--method: unknown method \"" << options.method << "\"\n";
    return 2;
  }
  if (options.mode != "closed" && options.mode != "open") {
    std::cerr << "--mode: expected closed or open\n";
    return 2;
  }
  if (!ParseSeconds(options.duration_s, "duration_s", &options.duration_value) ||
      !ParseSeconds(options.warmup_s, "warmup_s", &options.warmup_value) ||
      !absl::SimpleAtod(options.rate, &options.rate_value)) {
    return 2;
  }
  if (options.threads < 1 || options.inflight < 1 || options.batch_size < 1 ||
      options.senders < 1 || options.recipients < 1 || options.deadline_ms < 1 ||
      (options.mode == "open" && !(options.rate_value > 0))) {
    std::cerr << "--threads, --inflight, --batch_size, --senders, --recipients, --deadline_ms "
                 "and (open loop) --rate must be positive\n";
    return 2;
  }
  if (options.mode == "closed") options.threads = std::min(options.threads, options.inflight);
  if (options.channels < 1) options.channels = options.threads;
  if (options.calls > 0) {
    options.mode = "closed";
    options.warmup_value = 0;
  }

  Ids ids;
  ids.prefix = options.id_prefix.empty()
                   ? absl::StrCat("inv-", absl::ToUnixMicros(absl::Now()) % 10000000000, "-")
                   : options.id_prefix;
  ids.senders = options.senders;
  ids.recipients = options.recipients;
  const etiquette::v1::Invitation base =
      etiquette::bench::TypicalInvitation(absl::ToUnixSeconds(absl::Now()));

  std::vector<std::unique_ptr<Stubs>> stubs;
  for (int c = 0; c < options.channels; ++c) {
    std::shared_ptr<grpc::Channel> channel = MakeChannel(options.target, c);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
      std::cerr << "cannot connect to " << options.target << "\n";
      return 1;
    }
    auto s = std::make_unique<Stubs>();
    s->evaluator = InvitationEvaluator::NewStub(channel);
    s->history = SenderHistory::NewStub(channel);
    stubs.push_back(std::move(s));
  }
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < options.threads; ++t) {
    std::vector<Stubs*> mine;
    for (int c = t; c < options.channels; c += options.threads) mine.push_back(stubs[c].get());
    if (mine.empty()) mine.push_back(stubs[t % options.channels].get());
    workers.push_back(std::make_unique<Worker>(options, ids, t, mine, base));
  }

  const Clock::time_point start = Clock::now();
  const Clock::time_point window_start =
      start + std::chrono::nanoseconds(static_cast<int64_t>(options.warmup_value * 1e9));
  const Clock::time_point end =
      options.calls > 0
          ? Clock::time_point::max()
          : window_start +
                std::chrono::nanoseconds(static_cast<int64_t>(options.duration_value * 1e9));
  std::atomic<int64_t> budget{options.calls};
  double cpu_at_window = -1;
  std::mutex cpu_mutex;
  // Samples the process CPU time at the window's start (the main thread sleeps until then).
  std::thread cpu_sampler([&] {
    if (options.calls == 0) std::this_thread::sleep_until(window_start);
    std::lock_guard<std::mutex> lock(cpu_mutex);
    cpu_at_window = CpuSeconds();
  });

  std::vector<std::thread> threads;
  for (int t = 0; t < options.threads; ++t) {
    Worker* worker = workers[t].get();
    if (options.mode == "closed") {
      const int slots =
          options.inflight / options.threads + (t < options.inflight % options.threads);
      threads.emplace_back([&, worker, slots] {
        worker->RunClosed(slots, window_start, end, options.calls > 0 ? &budget : nullptr);
      });
    } else {
      const double rate = options.rate_value / options.threads;
      // Threads start their schedules staggered, so that their calls interleave evenly.
      const Clock::time_point thread_start =
          start + std::chrono::nanoseconds(static_cast<int64_t>(1e9 / options.rate_value * t));
      threads.emplace_back([&, worker, rate, thread_start] {
        worker->RunOpen(rate, thread_start, window_start, end);
      });
    }
  }
  cpu_sampler.join();
  for (std::thread& thread : threads) thread.join();
  const Clock::time_point finished = Clock::now();
  const double cpu_end = CpuSeconds();
  if (options.mode == "closed") {
    for (auto& worker : workers) worker->ShutdownQueue();
  }

  Report report;
  report.options = &options;
  report.nproc = sysconf(_SC_NPROCESSORS_ONLN);
  if (options.calls > 0) {
    report.window_s = std::chrono::duration<double>(finished - start).count();
  } else {
    report.window_s = options.duration_value;
  }
  // CPU from the window's start to the last completion (open loop: the drain included).
  report.cpu_s = cpu_end - cpu_at_window;
  report.cpu_wall_s =
      std::chrono::duration<double>(finished - (options.calls > 0 ? start : window_start)).count();
  for (auto& worker : workers) {
    Totals& t = worker->totals();
    report.totals.ok += t.ok;
    report.totals.dropped += t.dropped;
    for (const auto& [name, count] : t.errors) report.totals.errors[name] += count;
    report.totals.latencies_ns.insert(report.totals.latencies_ns.end(), t.latencies_ns.begin(),
                                      t.latencies_ns.end());
  }
  std::sort(report.totals.latencies_ns.begin(), report.totals.latencies_ns.end());
  if (!options.quiet) std::cout << report.Text() << std::flush;
  if (!options.json.empty()) {
    FILE* file = std::fopen(options.json.c_str(), "w");
    if (file == nullptr) {
      std::cerr << "cannot write " << options.json << "\n";
      return 1;
    }
    const std::string json = report.Json();
    std::fwrite(json.data(), 1, json.size(), file);
    std::fclose(file);
  }
  return 0;
}
