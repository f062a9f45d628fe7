// The framing of the bodies h2load sends (bench/h2load/grpc_frame.h): the typical invitation's
// EvaluateRequest framed and read back, and the bodies that are not one uncompressed frame.
#include "bench/h2load/grpc_frame.h"

#include <string>

#include "absl/status/status.h"
#include "bench/typical_invitation.h"
#include "etiquette/v1/evaluator.pb.h"
#include "gtest/gtest.h"

namespace etiquette::bench {
namespace {

v1::EvaluateRequest TypicalRequest() {
  v1::EvaluateRequest request;
  *request.mutable_invitation() = TypicalInvitation(1'700'000'000);
  return request;
}

TEST(GrpcFrameTest, HeaderIsFlagZeroAndBigEndianLength) {
  const v1::EvaluateRequest request = TypicalRequest();
  const std::string payload = request.SerializeAsString();
  ASSERT_GT(payload.size(), 255u);  // the length needs two bytes: byte order is visible
  const std::string frame = GrpcFrame(request);
  ASSERT_EQ(frame.size(), payload.size() + 5);
  EXPECT_EQ(frame[0], '\0');
  EXPECT_EQ(static_cast<unsigned char>(frame[1]), 0);
  EXPECT_EQ(static_cast<unsigned char>(frame[2]), 0);
  EXPECT_EQ(static_cast<unsigned char>(frame[3]), (payload.size() >> 8) & 0xff);
  EXPECT_EQ(static_cast<unsigned char>(frame[4]), payload.size() & 0xff);
  EXPECT_EQ(frame.substr(5), payload);
}

TEST(GrpcFrameTest, FramedTypicalRequestParsesBackAsTheSameRequest) {
  const v1::EvaluateRequest request = TypicalRequest();
  absl::StatusOr<std::string> payload = GrpcUnframe(GrpcFrame(request));
  ASSERT_TRUE(payload.ok()) << payload.status();
  v1::EvaluateRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(*payload));
  EXPECT_EQ(parsed.invitation().invitation_id(), "inv-bench-000000000001");
  EXPECT_EQ(parsed.SerializeAsString(), request.SerializeAsString());
}

TEST(GrpcFrameTest, UnframeRejectsWhatIsNotOneUncompressedFrame) {
  const std::string frame = GrpcFrame(TypicalRequest());
  EXPECT_EQ(GrpcUnframe(frame.substr(0, 4)).status().code(),
            absl::StatusCode::kInvalidArgument);  // short header
  std::string compressed = frame;
  compressed[0] = '\1';
  EXPECT_EQ(GrpcUnframe(compressed).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GrpcUnframe(frame.substr(0, frame.size() - 1)).status().code(),
            absl::StatusCode::kInvalidArgument);  // truncated
  EXPECT_EQ(GrpcUnframe(frame + frame).status().code(),
            absl::StatusCode::kInvalidArgument);  // two frames
}

}  // namespace
}  // namespace etiquette::bench
