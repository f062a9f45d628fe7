// etiquette-grpc-body: the gRPC bodies of bench/h2load/run_h2load.sh, which drives Evaluate with
// h2load (an HTTP/2 load generator that knows nothing of gRPC).
//
//   etiquette-grpc-body request FILE         writes the framed EvaluateRequest of the typical
//                                            invitation (bench/typical_invitation.h, dated now)
//   etiquette-grpc-body check-response FILE  reads a framed EvaluateResponse (the DATA of one
//                                            answer) and exits 0 only when it is one frame whose
//                                            verdict is for that invitation, has a decision and
//                                            is not degraded (the load generator's checks)
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/h2load/grpc_frame.h"
#include "bench/typical_invitation.h"
#include "etiquette/v1/evaluator.pb.h"

namespace {

int Usage(const char* argv0) {
  std::cerr << "usage: " << argv0 << " request FILE | check-response FILE\n";
  return 2;
}

etiquette::v1::EvaluateRequest TypicalRequest() {
  etiquette::v1::EvaluateRequest request;
  *request.mutable_invitation() =
      etiquette::bench::TypicalInvitation(absl::ToUnixSeconds(absl::Now()));
  return request;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return Usage(argv[0]);
  const std::string command = argv[1];
  const std::string path = argv[2];
  if (command == "request") {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << etiquette::bench::GrpcFrame(TypicalRequest());
    out.close();
    if (!out) {
      std::cerr << "cannot write " << path << "\n";
      return 1;
    }
    return 0;
  }
  if (command == "check-response") {
    std::ifstream in(path, std::ios::binary);
    std::stringstream body;
    body << in.rdbuf();
    if (!in) {
      std::cerr << "cannot read " << path << "\n";
      return 1;
    }
    absl::StatusOr<std::string> payload = etiquette::bench::GrpcUnframe(body.str());
    etiquette::v1::EvaluateResponse response;
    if (!payload.ok()) {
      std::cerr << "not one gRPC frame: " << payload.status().message() << "\n";
      return 1;
    }
    if (!response.ParseFromString(*payload)) {
      std::cerr << "the frame is not an EvaluateResponse\n";
      return 1;
    }
    const etiquette::v1::Verdict& verdict = response.verdict();
    if (verdict.invitation_id() != TypicalRequest().invitation().invitation_id() ||
        verdict.decision() == etiquette::v1::DECISION_UNSPECIFIED || verdict.degraded()) {
      std::cerr << "unexpected verdict: id, decision or degraded wrong\n";
      return 1;
    }
    std::cout << "verdict " << etiquette::v1::Decision_Name(verdict.decision()) << "\n";
    return 0;
  }
  return Usage(argv[0]);
}
