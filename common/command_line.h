#pragma once

#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"

namespace etiquette {

// A small command-line parser for the services' flags. Accepts "--name=value" and
// "--name value" ("--name" alone for booleans); '-' and '_' in names are interchangeable, so
// --check-config and --check_config are the same flag. Unknown flags and positional
// arguments are errors. With an environment prefix, every flag can also come from the
// environment variable <prefix><NAME> (upper case, '_' for '-'; for example
// ETIQUETTE_REDIS_TIMEOUT_MS); a flag on the command line wins over the environment.
class CommandLine {
 public:
  explicit CommandLine(std::string env_prefix = "") : env_prefix_(std::move(env_prefix)) {}

  void AddString(std::string name, std::string* target, std::string help);
  void AddInt(std::string name, int* target, std::string help);
  void AddBool(std::string name, bool* target, std::string help);

  // Fills the registered targets from the environment, then the arguments. "--help" sets
  // help_requested() and stops; "--version" sets version_requested() and stops.
  absl::Status Parse(int argc, const char* const* argv);
  // The environment variable that sets `flag_name`.
  std::string EnvName(const std::string& flag_name) const;
  bool help_requested() const { return help_requested_; }
  bool version_requested() const { return version_requested_; }
  // One line per flag with its help text and default.
  std::string Usage(const std::string& program) const;

 private:
  struct Flag {
    std::string name;
    std::variant<std::string*, int*, bool*> target;
    std::string help;
    std::string default_text;
  };
  Flag* Find(std::string name);
  static absl::Status Assign(Flag& flag, const std::string& value);

  const std::string env_prefix_;
  std::vector<Flag> flags_;
  bool help_requested_ = false;
  bool version_requested_ = false;
};

}  // namespace etiquette
