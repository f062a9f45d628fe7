#pragma once

// An spdlog sink keeping every formatted line, for tests that read logs back.

#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "spdlog/sinks/base_sink.h"

namespace etiquette::testing {

class CapturingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::string Text() {
    std::lock_guard<std::mutex> lock(mutex_);
    return text_;
  }
  std::vector<std::string> Lines() { return absl::StrSplit(Text(), '\n', absl::SkipEmpty()); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    text_.append(formatted.data(), formatted.size());
  }
  void flush_() override {}

 private:
  std::string text_;  // guarded by mutex_
};

}  // namespace etiquette::testing
