// Logging on its own: the JSON line formatter, the access logger (its own spdlog logger, text
// and JSON lines, escaping), ConfigureLogging, and the batching stderr sink. The services'
// access lines end to end: tests/evaluator/access_log_test.cc.
#include "common/logging.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/access_logger.h"
#include "common/json_log_formatter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spdlog/details/log_msg.h"
#include "spdlog/spdlog.h"
#include "tests/common/capturing_sink.h"

namespace etiquette {
namespace {

using testing::CapturingSink;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// The line JsonLogFormatter makes of one message.
std::string FormatJson(const std::string& logger_name, spdlog::level::level_enum level,
                       const std::string& payload, std::chrono::system_clock::time_point time) {
  JsonLogFormatter formatter(kAccessLoggerName);
  const spdlog::details::log_msg msg(time, spdlog::source_loc{}, logger_name, level, payload);
  spdlog::memory_buf_t out;
  formatter.format(msg, out);
  return std::string(out.data(), out.size());
}

AccessRecord RecordWithFields() {
  AccessRecord record;
  record.method = "Evaluate";
  record.code = "OK";
  record.duration_us = 123;
  record.request_id = "req-1";
  record.fields.push_back(AccessField::Text("invitation_id", "inv-1"));
  record.fields.push_back(AccessField::Number("batch_size", 3));
  return record;
}

TEST(JsonLogFormatterTest, ExactLineInUtcWithMicroseconds) {
  const auto time = std::chrono::system_clock::time_point(std::chrono::seconds(1714564800) +
                                                          std::chrono::microseconds(42));
  EXPECT_EQ(FormatJson("", spdlog::level::warn, "a \"quoted\"\n\x01 line", time),
            "{\"ts\":\"2024-05-01T12:00:00.000042Z\",\"level\":\"warning\","
            "\"msg\":\"a \\\"quoted\\\"\\n\\u0001 line\"}\n");
  // The next second, and a whole one.
  EXPECT_EQ(FormatJson("", spdlog::level::info, "x", time + std::chrono::microseconds(999958)),
            "{\"ts\":\"2024-05-01T12:00:01.000000Z\",\"level\":\"info\",\"msg\":\"x\"}\n");
}

TEST(JsonLogFormatterTest, AccessLinesCarryTheirOwnMembers) {
  const auto time = std::chrono::system_clock::time_point(std::chrono::seconds(1714564800));
  EXPECT_EQ(FormatJson(kAccessLoggerName, spdlog::level::info, R"("msg":"rpc","code":"OK")", time),
            R"({"ts":"2024-05-01T12:00:00.000000Z","level":"info","msg":"rpc","code":"OK"})"
            "\n");
}

TEST(AccessLoggerTest, LogsOnItsOwnLoggerInText) {
  auto sink = std::make_shared<CapturingSink>();
  sink->set_pattern("[%n] %l %v");
  AccessLogger(std::make_shared<spdlog::logger>(kAccessLoggerName, sink),
               AccessLogger::Format::kText)
      .Log(RecordWithFields());
  EXPECT_EQ(sink->Text(),
            "[access] info rpc method=Evaluate code=OK duration_us=123 request_id=req-1 "
            "invitation_id=inv-1 batch_size=3\n");
}

TEST(AccessLoggerTest, JsonLineFieldsInOrderNumbersUnquoted) {
  auto sink = std::make_shared<CapturingSink>();
  ASSERT_TRUE(ConfigureLogging("json", "info", sink).ok());
  LogAccess(RecordWithFields());
  ASSERT_EQ(sink->Lines().size(), 1u) << sink->Text();
  EXPECT_THAT(sink->Lines()[0],
              MatchesRegex(R"(\{"ts":"[0-9T:.-]+Z","level":"info","msg":"rpc","method":"Evaluate",)"
                           R"("code":"OK","duration_us":123,"request_id":"req-1",)"
                           R"("invitation_id":"inv-1","batch_size":3\})"));
  ASSERT_TRUE(ConfigureLogging("text", "info").ok());
}

TEST(AccessLoggerTest, FollowsTheConfiguredLevel) {
  auto sink = std::make_shared<CapturingSink>();
  ASSERT_TRUE(ConfigureLogging("json", "warn", sink).ok());
  LogAccess(RecordWithFields());
  spdlog::warn("kept");
  EXPECT_EQ(sink->Lines().size(), 1u) << sink->Text();
  EXPECT_THAT(sink->Text(), HasSubstr("kept"));
  ASSERT_TRUE(ConfigureLogging("text", "info").ok());
}

TEST(LogAccessTest, TextValuesCannotForgeFields) {
  auto sink = std::make_shared<CapturingSink>();
  ASSERT_TRUE(ConfigureLogging("text", "info", sink).ok());
  AccessRecord record;
  record.method = "Evaluate";
  record.code = "OK";
  record.request_id = "a b=c\n";
  record.fields.push_back(AccessField::Text("invitation_id", "x y"));
  LogAccess(record);
  EXPECT_THAT(sink->Text(), HasSubstr(R"(request_id=a\x20b\x3dc\x0a invitation_id=x\x20y)"));
  ASSERT_TRUE(ConfigureLogging("text", "info").ok());
}

TEST(LogAccessTest, JsonValuesAreEscaped) {
  auto sink = std::make_shared<CapturingSink>();
  ASSERT_TRUE(ConfigureLogging("json", "info", sink).ok());
  AccessRecord record;
  record.method = "Evaluate";
  record.code = "OK";
  record.fields.push_back(AccessField::Text("invitation_id", "x\",\"y\":\"z"));
  LogAccess(record);
  EXPECT_THAT(sink->Text(), HasSubstr(R"("invitation_id":"x\",\"y\":\"z")"));
  ASSERT_TRUE(ConfigureLogging("text", "info").ok());
}

TEST(LoggingTest, OtherLinesStayPlainJsonObjects) {
  auto sink = std::make_shared<CapturingSink>();
  ASSERT_TRUE(ConfigureLogging("json", "info", sink).ok());
  spdlog::info("hello \"world\"");
  EXPECT_EQ(sink->Lines().size(), 1u);
  EXPECT_THAT(sink->Lines()[0],
              MatchesRegex(R"(\{"ts":"[^"]+","level":"info","msg":"hello \\"world\\""\})"));
  ASSERT_TRUE(ConfigureLogging("text", "info").ok());
}

TEST(LoggingTest, UnknownFormatOrLevelIsAnInvalidArgument) {
  EXPECT_TRUE(absl::IsInvalidArgument(ConfigureLogging("xml", "info")));
  EXPECT_TRUE(absl::IsInvalidArgument(ConfigureLogging("json", "loud")));
  EXPECT_TRUE(ConfigureLogging("text", "off").ok());
  ASSERT_TRUE(ConfigureLogging("text", "info").ok());
}

// Reads what is in `fd` now (non-blocking), appended to `out`.
void ReadAvailable(int fd, std::string& out) {
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) return;
    out.append(chunk, static_cast<size_t>(n));
  }
}

// The default stderr sink (stderr not a terminal): access lines arrive in batches within
// 100 ms, any other line writes out what waits before it and itself at once, in order.
TEST(StderrLoggingTest, AccessLinesArriveSoonAndInOrderWithTheRest) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_NONBLOCK), 0);
  const int saved_stderr = ::dup(STDERR_FILENO);
  ASSERT_GE(saved_stderr, 0);
  ASSERT_EQ(::dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
  ASSERT_TRUE(ConfigureLogging("text", "info").ok());

  AccessRecord first;
  first.method = "Evaluate";
  first.code = "OK";
  first.fields.push_back(AccessField::Text("invitation_id", "inv-first"));
  LogAccess(first);
  spdlog::warn("a warning after it");
  std::string text;
  ReadAvailable(fds[0], text);  // no wait: the warning wrote out both lines
  const size_t access_at = text.find("invitation_id=inv-first");
  const size_t warning_at = text.find("a warning after it");
  EXPECT_NE(access_at, std::string::npos) << text;
  EXPECT_NE(warning_at, std::string::npos) << text;
  EXPECT_LT(access_at, warning_at) << text;

  AccessRecord second = first;
  second.fields = {AccessField::Text("invitation_id", "inv-second")};
  LogAccess(second);
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (text.find("invitation_id=inv-second") == std::string::npos && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));  // polling the pipe, bounded
    ReadAvailable(fds[0], text);
  }
  EXPECT_THAT(text, HasSubstr("invitation_id=inv-second"));

  ASSERT_TRUE(ConfigureLogging("text", "info").ok());  // drops the sink on the pipe
  ::dup2(saved_stderr, STDERR_FILENO);
  ::close(saved_stderr);
  ::close(fds[0]);
  ::close(fds[1]);
  ASSERT_TRUE(ConfigureLogging("text", "info").ok());
}

// The README's claim: access lines cost one write(2) per batch, not one a line. stderr is a
// SOCK_SEQPACKET socket here, so each write(2) arrives as one packet and the packets count the
// writes. 200 access lines within a few milliseconds, then a warning that writes out what
// waits: a handful of writes (the flusher may fire once or twice meanwhile), never one a line.
TEST(StderrLoggingTest, AccessLinesAreWrittenInBatches) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds), 0);
  const int buffer_bytes = 1 << 20;
  ::setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
  ::setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
  const int saved_stderr = ::dup(STDERR_FILENO);
  ASSERT_GE(saved_stderr, 0);
  ASSERT_EQ(::dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
  ASSERT_TRUE(ConfigureLogging("text", "info").ok());

  constexpr int kLines = 200;
  for (int i = 0; i < kLines; ++i) {
    AccessRecord record;
    record.method = "Evaluate";
    record.code = "OK";
    record.fields.push_back(AccessField::Text("invitation_id", absl::StrCat("inv-", i)));
    LogAccess(record);
  }
  spdlog::warn("the last line");
  int writes = 0;
  std::string text;
  char packet[1 << 17];
  for (ssize_t n; (n = ::recv(fds[0], packet, sizeof packet, MSG_DONTWAIT)) > 0;) {
    ++writes;
    text.append(packet, static_cast<size_t>(n));
  }

  ASSERT_TRUE(ConfigureLogging("text", "info").ok());  // drops the sink on the socket
  ::dup2(saved_stderr, STDERR_FILENO);
  ::close(saved_stderr);
  ::close(fds[0]);
  ::close(fds[1]);
  ASSERT_TRUE(ConfigureLogging("text", "info").ok());

  EXPECT_THAT(text, HasSubstr("invitation_id=inv-0\n"));
  EXPECT_THAT(text, HasSubstr(absl::StrCat("invitation_id=inv-", kLines - 1)));
  EXPECT_THAT(text, HasSubstr("the last line"));
  EXPECT_GE(writes, 1);
  EXPECT_LE(writes, 10) << "one write(2) per access line?";
}

}  // namespace
}  // namespace etiquette
