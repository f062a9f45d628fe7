#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status.h"

namespace etiquette {

// Collects every range error of a config, each as "<path>: <what>", so that one load reports
// all of them.
class ConfigErrors {
 public:
  void Add(const std::string& path, absl::string_view what) {
    errors_.push_back(absl::StrCat(path, ": ", what));
  }
  void Positive(const std::string& path, double value) {
    if (!(value > 0)) Add(path, "must be greater than 0");
  }
  void AtMost(const std::string& path, double value, double max) {
    if (value > max) Add(path, absl::StrCat("must be at most ", max));
  }
  // OK, or INVALID_ARGUMENT listing every error.
  absl::Status ToStatus() const { return InvalidArgumentFromErrors(errors_); }

 private:
  std::vector<std::string> errors_;
};

}  // namespace etiquette
