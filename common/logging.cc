#include "common/logging.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/base_sink.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace etiquette {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Whether the default logger was configured as "json" (LogAccess then hands its fields to the
// "%&" flag instead of writing them into the message).
std::atomic<bool> json_logging{false};

// The extra JSON fields (",\"method\":...") of the line being logged by this thread, or null.
// spdlog's synchronous loggers format in the calling thread, inside the logging call.
thread_local const std::string* extra_json_fields = nullptr;
// Set while LogAccess logs: the line may wait in StderrSink's buffer.
thread_local bool logging_access_line = false;

// stderr, with access lines gathered: spdlog's stderr sinks write (and flush) every line with
// its own write(2), one system call per served call. Access lines wait in a buffer written
// every kAccessFlushInterval or at kAccessBufferBytes; any other line writes out the buffer
// and itself at once, so lines stay in order and warnings are never late. A crash loses at
// most kAccessFlushInterval of access lines.
class StderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  static constexpr std::chrono::milliseconds kAccessFlushInterval{100};
  static constexpr size_t kAccessBufferBytes = 64 * 1024;

  StderrSink() : flusher_([this] { FlushPeriodically(); }) {}
  ~StderrSink() override {
    {
      std::lock_guard<std::mutex> lock(stop_mutex_);
      stopping_ = true;
    }
    stop_.notify_one();
    flusher_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    WriteOut();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(message, formatted);
    buffer_.append(formatted.data(), formatted.size());
    if (!logging_access_line || buffer_.size() >= kAccessBufferBytes) WriteOut();
  }
  void flush_() override { WriteOut(); }

 private:
  // Under base_sink's mutex_.
  void WriteOut() {
    size_t done = 0;
    while (done < buffer_.size()) {
      const ssize_t n = ::write(STDERR_FILENO, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // stderr gone: drop the lines rather than block the service
      done += static_cast<size_t>(n);
    }
    buffer_.clear();
  }

  void FlushPeriodically() {
    std::unique_lock<std::mutex> lock(stop_mutex_);
    while (!stop_.wait_for(lock, kAccessFlushInterval, [this] { return stopping_; })) {
      flush();
    }
  }

  std::string buffer_;  // guarded by mutex_
  std::mutex stop_mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;  // guarded by stop_mutex_
  std::thread flusher_;    // last: starts once the rest is built
};

template <typename Out>
void AppendRaw(absl::string_view text, Out& dest) {
  dest.append(text.data(), text.data() + text.size());
}

template <typename Out>
void AppendJsonEscaped(absl::string_view text, Out& dest) {
  for (char c : text) {
    switch (c) {
      case '"':
        AppendRaw("\\\"", dest);
        break;
      case '\\':
        AppendRaw("\\\\", dest);
        break;
      case '\n':
        AppendRaw("\\n", dest);
        break;
      case '\r':
        AppendRaw("\\r", dest);
        break;
      case '\t':
        AppendRaw("\\t", dest);
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          const char escaped[] = {'\\', 'u', '0', '0', kHex[(c >> 4) & 0xf], kHex[c & 0xf]};
          AppendRaw(absl::string_view(escaped, sizeof(escaped)), dest);
        } else {
          dest.push_back(c);
        }
    }
  }
}

// The "%*" flag: the log message escaped as the inside of a JSON string.
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    AppendJsonEscaped(absl::string_view(msg.payload.data(), msg.payload.size()), dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

// The "%&" flag: the extra fields of a LogAccess line (nothing for other lines).
class JsonExtraFields final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    if (extra_json_fields != nullptr) {
      AppendRaw(*extra_json_fields, dest);
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonExtraFields>();
  }
};

bool IsSafeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '-';
}

// " key=value", with bytes outside the id charset as \xNN.
void AppendTextField(absl::string_view key, absl::string_view value, std::string* out) {
  absl::StrAppend(out, " ", key, "=");
  for (char c : value) {
    if (IsSafeChar(c)) {
      out->push_back(c);
    } else {
      const unsigned char byte = static_cast<unsigned char>(c);
      const char escaped[] = {'\\', 'x', kHex[byte >> 4], kHex[byte & 0xf]};
      out->append(escaped, sizeof(escaped));
    }
  }
}

// ,"key":"value"
void AppendJsonField(absl::string_view key, absl::string_view value, std::string* out) {
  absl::StrAppend(out, ",\"", key, "\":\"");
  AppendJsonEscaped(value, *out);
  out->push_back('"');
}

}  // namespace

absl::Status ConfigureLogging(const std::string& format, const std::string& level,
                              spdlog::sink_ptr sink) {
  spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  // from_str answers "off" for any unknown name; only accept "off" when asked for.
  if (parsed == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(
        "--log_level: expected one of trace, debug, info, warn, "
        "error, critical, off; got \"" +
        level + "\"");
  }
  std::shared_ptr<spdlog::logger> logger;
  if (format == "json") {
    logger = std::make_shared<spdlog::logger>("", sink ? sink : std::make_shared<StderrSink>());
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<JsonEscapedMessage>('*');
    formatter->add_flag<JsonExtraFields>('&').set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":"%*"%&})");
    logger->set_formatter(std::move(formatter));
  } else if (format == "text") {
    logger = std::make_shared<spdlog::logger>(
        "", sink ? sink
            : ::isatty(STDERR_FILENO)
                ? spdlog::sink_ptr(std::make_shared<spdlog::sinks::stderr_color_sink_mt>())
                : spdlog::sink_ptr(std::make_shared<StderrSink>()));
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  } else {
    return absl::InvalidArgumentError("--log_format: expected text or json, got \"" + format +
                                      "\"");
  }
  logger->set_level(parsed);
  json_logging.store(format == "json");
  spdlog::set_default_logger(std::move(logger));
  return absl::OkStatus();
}

absl::Status ConfigureLogging(const std::string& format, const std::string& level) {
  return ConfigureLogging(format, level, nullptr);
}

void LogAccess(const AccessRecord& record) {
  if (!spdlog::default_logger_raw()->should_log(spdlog::level::info)) return;
  if (json_logging.load()) {
    std::string fields;
    AppendJsonField("method", record.method, &fields);
    AppendJsonField("code", record.code, &fields);
    absl::StrAppend(&fields, ",\"duration_us\":", record.duration_us);
    if (!record.request_id.empty()) AppendJsonField("request_id", record.request_id, &fields);
    if (!record.invitation_id.empty()) {
      AppendJsonField("invitation_id", record.invitation_id, &fields);
    }
    if (record.batch_size >= 0) absl::StrAppend(&fields, ",\"batch_size\":", record.batch_size);
    extra_json_fields = &fields;
    logging_access_line = true;
    spdlog::info("rpc");
    logging_access_line = false;
    extra_json_fields = nullptr;
    return;
  }
  std::string line = "rpc";
  AppendTextField("method", record.method, &line);
  AppendTextField("code", record.code, &line);
  absl::StrAppend(&line, " duration_us=", record.duration_us);
  if (!record.request_id.empty()) AppendTextField("request_id", record.request_id, &line);
  if (!record.invitation_id.empty()) AppendTextField("invitation_id", record.invitation_id, &line);
  if (record.batch_size >= 0) absl::StrAppend(&line, " batch_size=", record.batch_size);
  logging_access_line = true;
  spdlog::info("{}", line);
  logging_access_line = false;
}

}  // namespace etiquette
