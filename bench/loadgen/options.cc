#include "bench/loadgen/options.h"

#include <algorithm>
#include <iostream>
#include <iterator>

#include "absl/strings/numbers.h"
#include "common/command_line.h"

namespace etiquette::loadgen {

const char* const kMethods[6] = {"Evaluate",       "EvaluateBatch", "RecordInvitation",
                                 "RecordResponse", "GetStanding",   "BatchGetStanding"};

bool IsBatch(const std::string& method) {
  return method == "EvaluateBatch" || method == "BatchGetStanding";
}

std::optional<int> ParseCommandLine(int argc, char** argv, Options& options) {
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
  return std::nullopt;
}

namespace {

bool ParseSeconds(const std::string& text, const char* name, double* out) {
  if (!absl::SimpleAtod(text, out) || !(*out >= 0)) {
    std::cerr << "--" << name << ": expected a number of seconds, got \"" << text << "\"\n";
    return false;
  }
  return true;
}

}  // namespace

bool ValidateOptions(Options& options) {
  if (std::find(std::begin(kMethods), std::end(kMethods), options.method) == std::end(kMethods)) {
    std::cerr << "--method: unknown method \"" << options.method << "\"\n";
    return false;
  }
  if (options.mode != "closed" && options.mode != "open") {
    std::cerr << "--mode: expected closed or open\n";
    return false;
  }
  if (!ParseSeconds(options.duration_s, "duration_s", &options.duration_value) ||
      !ParseSeconds(options.warmup_s, "warmup_s", &options.warmup_value) ||
      !absl::SimpleAtod(options.rate, &options.rate_value)) {
    return false;
  }
  if (options.threads < 1 || options.inflight < 1 || options.batch_size < 1 ||
      options.senders < 1 || options.recipients < 1 || options.deadline_ms < 1 ||
      (options.mode == "open" && !(options.rate_value > 0))) {
    std::cerr << "--threads, --inflight, --batch_size, --senders, --recipients, --deadline_ms "
                 "and (open loop) --rate must be positive\n";
    return false;
  }
  if (options.mode == "closed") options.threads = std::min(options.threads, options.inflight);
  if (options.channels < 1) options.channels = options.threads;
  if (options.calls > 0) {
    options.mode = "closed";
    options.warmup_value = 0;
  }
  return true;
}

}  // namespace etiquette::loadgen
