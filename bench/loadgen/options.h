// The load generator's flags: what to call, how hard, for how long, and where to report.
#ifndef ETIQUETTE_BENCH_LOADGEN_OPTIONS_H_
#define ETIQUETTE_BENCH_LOADGEN_OPTIONS_H_

#include <optional>
#include <string>

namespace etiquette::loadgen {

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

  // Set by ValidateOptions from the strings above.
  double rate_value = 0;
  double duration_value = 0;
  double warmup_value = 0;
};

// The methods --method accepts.
extern const char* const kMethods[6];

// EvaluateBatch and BatchGetStanding: calls of --batch_size items.
bool IsBatch(const std::string& method);

// Parses the command line into `options`. Returns the exit code when the program should stop
// here: 0 after --help (usage printed), 2 on a bad command line or a missing --target (the
// error printed on stderr); nullopt to go on.
std::optional<int> ParseCommandLine(int argc, char** argv, Options& options);

// Checks the flags of a load run (method, mode, numbers) and settles the derived values
// (rate_value, duration_value, warmup_value, threads, channels; --calls forces a closed loop
// without warm-up). Prints what is wrong on stderr and returns false when a flag is invalid.
bool ValidateOptions(Options& options);

}  // namespace etiquette::loadgen

#endif  // ETIQUETTE_BENCH_LOADGEN_OPTIONS_H_
