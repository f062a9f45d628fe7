// What goes into the requests: a cheap random generator, the ids (distinct invitation ids,
// senders and recipients from pools) and the mix of responses recipients give.
#ifndef ETIQUETTE_BENCH_LOADGEN_REQUESTS_H_
#define ETIQUETTE_BENCH_LOADGEN_REQUESTS_H_

#include <cstdint>
#include <string>

#include "etiquette/v1/evaluator.pb.h"
#include "etiquette/v1/history.pb.h"

namespace etiquette::loadgen {

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

  // "<prefix><worker>-<seq>": distinct for each worker's call number `seq`.
  std::string Invitation(int worker, uint64_t seq) const;
  std::string Sender(Rng& rng) const;     // "m-s<k>", k below `senders`
  std::string Recipient(Rng& rng) const;  // "m-r<k>", k below `recipients`
};

// What recipients do with invitations, roughly as often as the reference says: ~31% accept.
etiquette::v1::InvitationResponse PickResponse(Rng& rng);

// A sender and a recipient drawn from the pools.
void SetParties(etiquette::v1::Invitation& invitation, const Ids& ids, Rng& rng);

}  // namespace etiquette::loadgen

#endif  // ETIQUETTE_BENCH_LOADGEN_REQUESTS_H_
