#pragma once
// The fixed answer of the benchmarks' do-nothing servers (etiquette-null-service and
// etiquette-bare-server): both must send the same verdict, so that their figures compare.
#include <string>

#include "etiquette/v1/evaluator.pb.h"

namespace etiquette::bench {

inline constexpr char kNullVersion[] = "null00000000";

inline void FixedVerdict(const std::string& invitation_id, v1::Verdict* verdict) {
  verdict->set_invitation_id(invitation_id);
  verdict->set_decision(v1::DECISION_SEND);
  verdict->set_acceptance_likelihood(0.31);
  verdict->set_rules_version(kNullVersion);
}

}  // namespace etiquette::bench
