// --populate_active_senders: makes senders "active" in the history store, to measure Redis
// memory per active sender.
#ifndef ETIQUETTE_BENCH_LOADGEN_POPULATE_H_
#define ETIQUETTE_BENCH_LOADGEN_POPULATE_H_

#include "bench/loadgen/options.h"

namespace etiquette::loadgen {

// 20 RecordInvitation + 5 RecordResponse (2 accepted, 1 ignored, 1 withdrawn, 1 reported) for
// each of options.populate_active_senders senders <sender_prefix>-<k>, sequentially, to
// options.target. Returns the exit code: 0, or 1 at the first failed call (printed on stderr).
int PopulateActiveSenders(const Options& options);

}  // namespace etiquette::loadgen

#endif  // ETIQUETTE_BENCH_LOADGEN_POPULATE_H_
