#pragma once

// An spdlog sink on stderr that gathers one logger's lines (the access log's) into batches.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "spdlog/sinks/base_sink.h"

namespace etiquette {

// stderr, with the lines of the logger named `batched_logger_name` gathered: spdlog's stderr
// sinks write (and flush) every line with its own write(2), one system call per served call.
// Batched lines wait in a buffer written every kFlushInterval (by a thread of the sink's own)
// or at kBufferBytes; any other line writes out the buffer and itself at once, so lines stay
// in order and warnings are never late. A crash loses at most kFlushInterval of batched lines.
// If stderr is gone, lines are dropped rather than block the service.
class BatchingStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  static constexpr std::chrono::milliseconds kFlushInterval{100};
  static constexpr size_t kBufferBytes = 64 * 1024;

  explicit BatchingStderrSink(std::string batched_logger_name);
  // Writes out what waits.
  ~BatchingStderrSink() override;

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override;
  void flush_() override;

 private:
  void WriteOut();  // under base_sink's mutex_
  void FlushPeriodically();

  const std::string batched_logger_name_;
  std::string buffer_;  // guarded by mutex_
  std::mutex stop_mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;  // guarded by stop_mutex_
  std::thread flusher_;    // last: starts once the rest is built
};

}  // namespace etiquette
