// FieldCountLimits: counts on the serialized bytes, before parsing
// (common/field_count_limits.h).
#include "common/field_count_limits.h"

#include <string>
#include <vector>

#include "etiquette/v1/evaluator.pb.h"
#include "etiquette/v1/history.pb.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"

namespace etiquette {
namespace {

absl::Status CheckBytes(const FieldCountLimits& limits, const std::string& bytes) {
  // Chunks of 7 bytes: fields cross the stream's buffer boundaries, as in a gRPC ByteBuffer.
  google::protobuf::io::ArrayInputStream stream(bytes.data(), static_cast<int>(bytes.size()), 7);
  return limits.Check(&stream);
}

FieldCountLimits GroupLimits() {
  return FieldCountLimits(
      *v1::EvaluateRequest::descriptor(),
      {{"invitation.relationship.shared_groups", 3}, {"invitation.relationship.hiring_events", 2}});
}

v1::EvaluateRequest WithGroups(int groups, int hiring_events) {
  v1::EvaluateRequest request;
  v1::Invitation& invitation = *request.mutable_invitation();
  invitation.set_invitation_id("inv-1");
  invitation.set_note("a note before the relationship");
  for (int i = 0; i < groups; ++i) {
    invitation.mutable_relationship()->add_shared_groups()->set_name("a group with a name");
  }
  for (int i = 0; i < hiring_events; ++i) invitation.mutable_relationship()->add_hiring_events();
  invitation.mutable_sender()->set_member_id("m-after");
  return request;
}

TEST(FieldCountLimitsTest, AtTheLimitIsOk) {
  EXPECT_TRUE(CheckBytes(GroupLimits(), WithGroups(3, 2).SerializeAsString()).ok());
  EXPECT_TRUE(CheckBytes(GroupLimits(), WithGroups(0, 0).SerializeAsString()).ok());
  EXPECT_TRUE(CheckBytes(GroupLimits(), "").ok());
}

TEST(FieldCountLimitsTest, OneOverIsInvalidArgumentNamingFieldLimitAndCount) {
  absl::Status status = CheckBytes(GroupLimits(), WithGroups(4, 0).SerializeAsString());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "invitation.relationship.shared_groups: at most 3, got more");

  status = CheckBytes(GroupLimits(), WithGroups(0, 200000).SerializeAsString());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "invitation.relationship.hiring_events: at most 2, got more");
}

// The first count to pass its limit, in the order of the bytes, ends the walk.
TEST(FieldCountLimitsTest, FirstLimitPassedIsReported) {
  const absl::Status status = CheckBytes(GroupLimits(), WithGroups(5, 5).SerializeAsString());
  EXPECT_EQ(status.message(), "invitation.relationship.shared_groups: at most 3, got more");
}

// A singular message sent twice is merged by the parser: its elements add up.
TEST(FieldCountLimitsTest, SingularMessageSentTwiceAddsUp) {
  const std::string twice =
      WithGroups(2, 0).SerializeAsString() + WithGroups(2, 0).SerializeAsString();
  v1::EvaluateRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(twice));
  ASSERT_EQ(parsed.invitation().relationship().shared_groups_size(), 4);
  EXPECT_EQ(CheckBytes(GroupLimits(), twice).message(),
            "invitation.relationship.shared_groups: at most 3, got more");
}

// Counts are per request: over every element of a repeated parent.
TEST(FieldCountLimitsTest, NestedCountsAreTotalsOverTheRequest) {
  const FieldCountLimits limits(*v1::EvaluateBatchRequest::descriptor(),
                                {{"invitations", 3, "$0: must hold 1 to $1 invitations, got more"},
                                 {"invitations.relationship.shared_groups", 5}});
  v1::EvaluateBatchRequest batch;
  for (int i = 0; i < 3; ++i) *batch.add_invitations() = WithGroups(2, 0).invitation();
  EXPECT_EQ(CheckBytes(limits, batch.SerializeAsString()).message(),
            "invitations.relationship.shared_groups: at most 5, got more");
  batch.Clear();
  for (int i = 0; i < 3; ++i) *batch.add_invitations() = WithGroups(1, 0).invitation();
  EXPECT_TRUE(CheckBytes(limits, batch.SerializeAsString()).ok());
  batch.add_invitations();
  EXPECT_EQ(CheckBytes(limits, batch.SerializeAsString()).message(),
            "invitations: must hold 1 to 3 invitations, got more");
}

// Fields off the paths, unknown fields and every wire type are skipped, not counted.
TEST(FieldCountLimitsTest, OtherFieldsAreSkipped) {
  v1::EvaluateRequest request = WithGroups(3, 0);
  std::string bytes = request.SerializeAsString();
  // Unknown fields: varint 100, fixed64 101, fixed32 102, a group 103 holding a varint.
  bytes += std::string("\xa0\x06\x01", 3) + std::string("\xa9\x06", 2) + std::string(8, 'x') +
           std::string("\xb5\x06", 2) + std::string(4, 'y') +
           std::string("\xbb\x06\x08\x01\xbc\x06", 6);
  v1::EvaluateRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_TRUE(CheckBytes(GroupLimits(), bytes).ok());
}

// Bytes that are not the message are left to the parser, which answers them.
TEST(FieldCountLimitsTest, MalformedBytesAreLeftToTheParser) {
  std::string bytes = WithGroups(1, 0).SerializeAsString();
  bytes += std::string("\x0a\x7f", 2);  // a length running past the end
  v1::EvaluateRequest parsed;
  ASSERT_FALSE(parsed.ParseFromString(bytes));
  EXPECT_TRUE(CheckBytes(GroupLimits(), bytes).ok());
  EXPECT_TRUE(CheckBytes(GroupLimits(), std::string("\xff\xff\xff", 3)).ok());
}

TEST(FieldCountLimitsTest, HistoryBatchLimit) {
  const FieldCountLimits limits(*v1::BatchGetStandingRequest::descriptor(),
                                {{"requests", 2, "$0: must hold 1 to $1 requests, got more"}});
  v1::BatchGetStandingRequest batch;
  batch.add_requests();
  batch.add_requests();
  EXPECT_TRUE(CheckBytes(limits, batch.SerializeAsString()).ok());
  batch.add_requests();
  EXPECT_EQ(CheckBytes(limits, batch.SerializeAsString()).message(),
            "requests: must hold 1 to 2 requests, got more");
}

// Unknown fields the parser keeps, in `message` and every message below it.
int64_t ParsedUnknownFields(const google::protobuf::Message& message) {
  const google::protobuf::Reflection& reflection = *message.GetReflection();
  int64_t count = reflection.GetUnknownFields(message).field_count();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const auto* field : fields) {
    if (field->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
        count += ParsedUnknownFields(reflection.GetRepeatedMessage(message, field, i));
      }
    } else {
      count += ParsedUnknownFields(reflection.GetMessage(message, field));
    }
  }
  return count;
}

// Unknown fields at every depth, and known numbers with another wire type (which the parser
// keeps as unknown too), are counted as the parser counts them.
TEST(FieldCountLimitsTest, UnknownFieldsAreCountedAsTheParserKeepsThem) {
  v1::EvaluateRequest request = WithGroups(2, 1);
  std::string relationship = request.invitation().relationship().SerializeAsString();
  relationship += std::string("\xa0\x06\x01", 3);  // field 100, varint: unknown
  relationship += std::string("\x18\x05", 2);      // field 3 (shared_groups) as a varint
  std::string sender = request.invitation().sender().SerializeAsString();
  sender += std::string("\xa2\x06\x02hi", 5);  // field 100, 2 bytes
  v1::Invitation invitation = request.invitation();
  invitation.clear_relationship();
  invitation.clear_sender();
  std::string invitation_bytes = invitation.SerializeAsString();
  invitation_bytes +=
      std::string("\x32", 1) + static_cast<char>(relationship.size()) + relationship;
  invitation_bytes += std::string("\x12", 1) + static_cast<char>(sender.size()) + sender;
  const std::string bytes = std::string("\x0a", 1) + static_cast<char>(invitation_bytes.size()) +
                            invitation_bytes + std::string("\x78\x01", 2);  // field 15 on top
  v1::EvaluateRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  ASSERT_EQ(parsed.invitation().relationship().shared_groups_size(), 2);
  ASSERT_EQ(parsed.invitation().sender().member_id(), "m-after");
  const int64_t unknown = ParsedUnknownFields(parsed);
  ASSERT_EQ(unknown, 4);
  const auto& descriptor = *v1::EvaluateRequest::descriptor();
  EXPECT_TRUE(CheckBytes(FieldCountLimits(descriptor, {}, unknown), bytes).ok());
  const absl::Status status = CheckBytes(FieldCountLimits(descriptor, {}, unknown - 1), bytes);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "request: more than 3 fields this server does not know");
}

TEST(FieldCountLimitsTest, FirstOfRepeatedAndUnknownToPassIsReported) {
  std::string bytes = WithGroups(4, 0).SerializeAsString() + std::string("\x78\x01\x78\x01", 4);
  const FieldCountLimits limits(*v1::EvaluateRequest::descriptor(),
                                {{"invitation.relationship.shared_groups", 3}}, 1);
  EXPECT_EQ(CheckBytes(limits, bytes).message(),
            "invitation.relationship.shared_groups: at most 3, got more");
  bytes = std::string("\x78\x01\x78\x01", 4) + WithGroups(4, 0).SerializeAsString();
  EXPECT_EQ(CheckBytes(limits, bytes).message(),
            "request: more than 1 fields this server does not know");
}

// Nothing after the count that passed its limit is read: not even bytes that would not parse.
TEST(FieldCountLimitsTest, StopsAtTheFirstCountOverItsLimit) {
  const std::string bytes = WithGroups(4, 0).SerializeAsString() + std::string("\xff\xff\xff", 3);
  EXPECT_EQ(CheckBytes(GroupLimits(), bytes).message(),
            "invitation.relationship.shared_groups: at most 3, got more");
}

// A field that holds one value, sent again in the same message: up to the cap the parser may
// merge them; past it the request is refused before parsing. Elements of a repeated field
// each holding their own fields once are no repeats.
TEST(FieldCountLimitsTest, RepeatsOfSingularFieldsAreCapped) {
  const auto& descriptor = *v1::EvaluateRequest::descriptor();
  const FieldCountLimits limits(descriptor, {}, kMaxUnknownFields, 3);
  const std::string note = std::string("\x22\x01x", 3);  // Invitation.note = "x"
  const auto request_with = [](const std::string& invitation) {
    return std::string("\x0a", 1) + static_cast<char>(invitation.size()) + invitation;
  };
  std::string four_notes;
  for (int i = 0; i < 4; ++i) four_notes += note;
  EXPECT_TRUE(CheckBytes(limits, request_with(four_notes)).ok());  // 3 repeats
  const absl::Status over = CheckBytes(limits, request_with(four_notes + note));
  EXPECT_EQ(over.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(over.message(), "request: more than 3 repeats of fields that hold one value");
  // The invitation (a singular message) sent five times: four repeats.
  const std::string invitation = request_with(note);
  std::string five;
  for (int i = 0; i < 5; ++i) five += invitation;
  EXPECT_EQ(CheckBytes(limits, five).message(),
            "request: more than 3 repeats of fields that hold one value");
  // 1,000 groups, each with its name once: no repeat at all.
  EXPECT_TRUE(CheckBytes(limits, WithGroups(1000, 10).SerializeAsString()).ok());
  // The default cap.
  EXPECT_TRUE(CheckBytes(FieldCountLimits(descriptor, {}), five).ok());
}

TEST(FieldCountLimitsTest, NoLimitsIsAlwaysOk) {
  EXPECT_TRUE(FieldCountLimits().empty());
  EXPECT_TRUE(CheckBytes(FieldCountLimits(), WithGroups(1000, 0).SerializeAsString()).ok());
}

TEST(FieldCountLimitsDeathTest, PathThatIsNoRepeatedMessageFieldAborts) {
  const auto& request = *v1::EvaluateRequest::descriptor();
  EXPECT_DEATH(FieldCountLimits(request, {{"invitation.relationship.nope", 1}}), "nope");
  EXPECT_DEATH(FieldCountLimits(request, {{"invitation.relationship", 1}}), "relationship");
  EXPECT_DEATH(FieldCountLimits(request, {{"invitation.note", 1}}), "note");
}

}  // namespace
}  // namespace etiquette
