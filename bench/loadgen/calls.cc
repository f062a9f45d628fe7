#include "bench/loadgen/calls.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_code_name.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace etiquette::loadgen {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target, int index) {
  grpc::ChannelArguments arguments;
  // Distinct arguments and a local subchannel pool: each channel gets its own connection.
  arguments.SetInt("etiquette.loadgen.channel", index);
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  arguments.SetMaxReceiveMessageSize(64 * 1024 * 1024);
  arguments.SetMaxSendMessageSize(64 * 1024 * 1024);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments);
}

void Call::Start(Stubs& stubs, grpc::CompletionQueue* cq, uint64_t seq, Clock::time_point intended,
                 std::chrono::milliseconds deadline) {
  intended_ = intended;
  context_ = std::make_unique<grpc::ClientContext>();
  context_->set_deadline(std::chrono::system_clock::now() + deadline);
  status_ = grpc::Status();
  StartRpc(stubs, cq, seq);
}

std::string Call::Outcome() const {
  if (!status_.ok()) return etiquette::GrpcCodeName(status_.error_code());
  return CheckResponse();
}

namespace {

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

}  // namespace

std::unique_ptr<Call> MakeCall(const std::string& method, int batch_size, const Ids& ids,
                               int worker, uint64_t seed, const etiquette::v1::Invitation& base) {
  const std::string& m = method;
  if (m == "Evaluate") return std::make_unique<EvaluateCall>(ids, worker, seed, base);
  if (m == "EvaluateBatch") {
    return std::make_unique<EvaluateBatchCall>(ids, worker, seed, base, batch_size);
  }
  if (m == "RecordInvitation") return std::make_unique<RecordInvitationCall>(ids, worker, seed);
  if (m == "RecordResponse") return std::make_unique<RecordResponseCall>(ids, worker, seed);
  if (m == "GetStanding") return std::make_unique<GetStandingCall>(ids, worker, seed);
  return std::make_unique<BatchGetStandingCall>(ids, worker, seed, batch_size);
}

}  // namespace etiquette::loadgen
