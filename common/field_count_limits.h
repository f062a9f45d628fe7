#pragma once

// Caps on how many elements the repeated message fields of a request hold, and on how many
// fields it carries that the server does not know, counted on the serialized bytes before the
// request is parsed. An empty element or an unknown varint costs 2 bytes on the wire and 20-90
// bytes parsed (unknown fields are kept: a newer client may send them), so a request within the
// size limit can still parse into hundreds of megabytes and a second of CPU: the counts are
// checked first, without parsing or allocating anything.
//
//   FieldCountLimits limits(*v1::EvaluateRequest::descriptor(),
//                           {{"invitation.relationship.shared_groups", 100}}, 10000);
//   absl::Status status = limits.Check(&bytes);  // INVALID_ARGUMENT "...: at most 100, got more"
//
// Counts are per request: a limit on "invitations.relationship.shared_groups" caps the total
// over every invitation of a batch. Elements of a field that occurs more than once on the wire
// (a singular message sent twice, which the parser merges) add up, as the parser would.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/zero_copy_stream.h"

namespace etiquette {

struct RepeatedFieldLimit {
  // Field names from the request, dot-separated; every name but the last is a message field
  // (singular or repeated), the last a repeated message field.
  std::string path;
  int64_t max = 0;
  // The error message over the limit, absl::Substitute-style: $0 the path, $1 the limit.
  std::string message = "$0: at most $1, got more";
};

// The default cap on unknown fields per request: room for a newer client's batch of 1,000
// invitations with ten fields each that this server does not know yet.
inline constexpr int64_t kMaxUnknownFields = 10000;

// The default cap on repeats of fields that hold one value (a singular field sent again inside
// the same message, which the parser merges or overwrites): protobuf allows it, no client of
// these services needs it, and millions of repeats of an empty invitation cost tens of ms of
// parsing each. Repeats of the first 64 fields of a message are counted.
inline constexpr int64_t kMaxRepeatedSingularFields = 1000;

class FieldCountLimits {
 public:
  FieldCountLimits();  // no limits: Check is always OK, and reads nothing
  // Aborts when a path names no repeated message field of `request` (a programming error,
  // found at start-up).
  FieldCountLimits(const google::protobuf::Descriptor& request,
                   const std::vector<RepeatedFieldLimit>& limits,
                   int64_t max_unknown_fields = kMaxUnknownFields,
                   int64_t max_repeated_singular_fields = kMaxRepeatedSingularFields);
  FieldCountLimits(FieldCountLimits&&);
  FieldCountLimits& operator=(FieldCountLimits&&);
  ~FieldCountLimits();

  bool empty() const { return root_ == nullptr; }

  // INVALID_ARGUMENT as soon as a count passes its limit, reading no further: the limit's
  // message, "request: more than 10000 fields this server does not know", or "request: more
  // than 1000 repeats of fields that hold one value". OK otherwise.
  // Bytes that are not a well-formed message are OK here: the parser answers them. Reads the
  // stream at most once; allocates nothing per field.
  absl::Status Check(google::protobuf::io::ZeroCopyInputStream* bytes) const;

  // One message type of the request, with the message fields below it (defined in the .cc).
  struct Node;

 private:
  std::vector<RepeatedFieldLimit> limits_;
  int64_t max_unknown_fields_ = 0;
  int64_t max_repeated_singular_fields_ = 0;
  std::unique_ptr<Node> root_;
};

}  // namespace etiquette
