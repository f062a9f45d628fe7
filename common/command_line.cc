#include "common/command_line.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace etiquette {
namespace {

std::string Canonical(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

}  // namespace

void CommandLine::AddString(std::string name, std::string* target, std::string help) {
  flags_.push_back({std::move(name), target, std::move(help), "\"" + *target + "\""});
}

void CommandLine::AddInt(std::string name, int* target, std::string help) {
  flags_.push_back({std::move(name), target, std::move(help), std::to_string(*target)});
}

void CommandLine::AddBool(std::string name, bool* target, std::string help) {
  flags_.push_back({std::move(name), target, std::move(help), *target ? "true" : "false"});
}

CommandLine::Flag* CommandLine::Find(std::string name) {
  name = Canonical(std::move(name));
  for (Flag& flag : flags_) {
    if (Canonical(flag.name) == name) return &flag;
  }
  return nullptr;
}

absl::Status CommandLine::Assign(Flag& flag, const std::string& value) {
  if (auto* s = std::get_if<std::string*>(&flag.target)) {
    **s = value;
  } else if (auto* i = std::get_if<int*>(&flag.target)) {
    if (!absl::SimpleAtoi(value, *i)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag.name, ": expected an integer, got \"", value, "\""));
    }
  } else if (auto* b = std::get_if<bool*>(&flag.target)) {
    if (!absl::SimpleAtob(value, *b)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag.name, ": expected true or false, got \"", value, "\""));
    }
  }
  return absl::OkStatus();
}

std::string CommandLine::EnvName(const std::string& flag_name) const {
  std::string name = env_prefix_ + Canonical(flag_name);
  for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

absl::Status CommandLine::Parse(int argc, const char* const* argv) {
  if (!env_prefix_.empty()) {
    for (Flag& flag : flags_) {
      const std::string env_name = EnvName(flag.name);
      if (const char* value = std::getenv(env_name.c_str()); value != nullptr) {
        if (absl::Status s = Assign(flag, value); !s.ok()) {
          return absl::InvalidArgumentError(absl::StrCat(env_name, ": ", s.message()));
        }
      }
    }
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
    arg.erase(0, 2);
    if (arg == "help") {
      help_requested_ = true;
      return absl::OkStatus();
    }
    if (arg == "version") {
      version_requested_ = true;
      return absl::OkStatus();
    }
    std::string name = arg;
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    Flag* flag = Find(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (!has_value) {
      if (std::holds_alternative<bool*>(flag->target)) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("--", flag->name, ": missing value"));
      }
    }
    if (absl::Status s = Assign(*flag, value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::string CommandLine::Usage(const std::string& program) const {
  std::string out = absl::StrCat("Usage: ", program, " [flags]\n",
                                 "  --help  this text; --version  the release version\n");
  for (const Flag& flag : flags_) {
    absl::StrAppend(&out, "  --", flag.name, "  ", flag.help, " (default ", flag.default_text,
                    env_prefix_.empty() ? "" : ", env " + EnvName(flag.name), ")\n");
  }
  return out;
}

}  // namespace etiquette
