// protobuf's own log lines through spdlog (common/protobuf_log.h), as ConfigureLogging installs
// them: in the process's format, at the matching level, with nothing of a field's value.
#include "common/protobuf_log.h"

#include <memory>
#include <string>

#include "common/logging.h"
#include "etiquette/v1/evaluator.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/capturing_sink.h"

namespace etiquette {
namespace {

using testing::CapturingSink;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ProtobufLogLineTest, NamesTheSourceAndKeepsPrintableAsciiOnly) {
  EXPECT_EQ(ProtobufLogLine("wire_format_lite.cc", 581, "field 'a.b' \xC3\x28 x\n\ty"),
            "protobuf: field 'a.b' ?( x?"
            "?y (wire_format_lite.cc:581)");
  EXPECT_EQ(ProtobufLogLine(nullptr, 0, ""), "protobuf:  (?:0)");
}

TEST(ProtobufLogLineTest, CutsLongMessages) {
  const std::string line = ProtobufLogLine("f.cc", 1, std::string(10000, 'a'));
  EXPECT_EQ(line, "protobuf: " + std::string(kMaxProtobufLogBytes, 'a') + "... (f.cc:1)");
}

// A request whose note is not UTF-8, parsed as the servers parse it: protobuf's complaint is one
// JSON line at level error that names the field, and nothing of the note reaches the log.
TEST(ProtobufLogTest, InvalidUtf8IsOneJsonErrorLineNamingTheFieldWithoutTheValue) {
  auto sink = std::make_shared<CapturingSink>();
  ASSERT_TRUE(ConfigureLogging("json", "info", sink).ok());

  v1::EvaluateRequest request;
  request.mutable_invitation()->set_note("PRIVATE-NOTE-MARKER");
  std::string bytes = request.SerializeAsString();
  bytes.replace(bytes.find("MARKER"), 6, "MARKE\xC3");
  v1::EvaluateRequest parsed;
  EXPECT_FALSE(parsed.ParseFromString(bytes));

  const std::string text = sink->Text();
  ASSERT_EQ(sink->Lines().size(), 1u) << text;
  EXPECT_THAT(text, HasSubstr("\"level\":\"error\""));
  EXPECT_THAT(text, HasSubstr("\"msg\":\"protobuf: String field "
                              "'etiquette.v1.Invitation.note' contains invalid UTF-8"));
  EXPECT_THAT(text, Not(HasSubstr("PRIVATE")));
  EXPECT_THAT(text, Not(HasSubstr("MARKE")));

  ASSERT_TRUE(ConfigureLogging("text", "info").ok());
}

// Below the configured level, protobuf's lines are dropped like any other.
TEST(ProtobufLogTest, FollowsTheConfiguredLevel) {
  auto sink = std::make_shared<CapturingSink>();
  ASSERT_TRUE(ConfigureLogging("text", "critical", sink).ok());
  v1::EvaluateRequest request;
  request.mutable_invitation()->set_note("x\xC3");
  v1::EvaluateRequest parsed;
  EXPECT_FALSE(parsed.ParseFromString(request.SerializePartialAsString()));
  EXPECT_EQ(sink->Text(), "");
  ASSERT_TRUE(ConfigureLogging("text", "info").ok());
}

}  // namespace
}  // namespace etiquette
