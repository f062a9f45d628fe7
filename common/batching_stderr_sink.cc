#include "common/batching_stderr_sink.h"

#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/string_view.h"

namespace etiquette {

BatchingStderrSink::BatchingStderrSink(std::string batched_logger_name)
    : batched_logger_name_(std::move(batched_logger_name)),
      flusher_([this] { FlushPeriodically(); }) {}

BatchingStderrSink::~BatchingStderrSink() {
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stopping_ = true;
  }
  stop_.notify_one();
  flusher_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  WriteOut();
}

void BatchingStderrSink::sink_it_(const spdlog::details::log_msg& message) {
  spdlog::memory_buf_t formatted;
  formatter_->format(message, formatted);
  buffer_.append(formatted.data(), formatted.size());
  const bool batched = absl::string_view(message.logger_name.data(), message.logger_name.size()) ==
                       batched_logger_name_;
  if (!batched || buffer_.size() >= kBufferBytes) WriteOut();
}

void BatchingStderrSink::flush_() { WriteOut(); }

void BatchingStderrSink::WriteOut() {
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::write(STDERR_FILENO, buffer_.data() + done, buffer_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // stderr gone: drop the lines rather than block the service
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
}

void BatchingStderrSink::FlushPeriodically() {
  std::unique_lock<std::mutex> lock(stop_mutex_);
  while (!stop_.wait_for(lock, kFlushInterval, [this] { return stopping_; })) {
    flush();
  }
}

}  // namespace etiquette
