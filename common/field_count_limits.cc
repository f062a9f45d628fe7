#include "common/field_count_limits.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/substitute.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace etiquette {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

// Message types nested deeper than this (only a recursive type would be) are skipped whole:
// their fields are neither counted nor walked.
constexpr int kMaxDepth = 32;

[[noreturn]] void BadPath(const Descriptor& request, const std::string& path) {
  std::fprintf(stderr, "FieldCountLimits: %s has no repeated message field %s\n",
               request.full_name().c_str(), path.c_str());
  std::abort();
}

}  // namespace

struct FieldCountLimits::Node {
  struct Field {
    int number = 0;
    WireFormatLite::WireType wire_type = WireFormatLite::WIRETYPE_VARINT;
    bool packable = false;          // a repeated scalar: also accepted packed
    bool singular = false;          // holds one value (a repeat is merged or overwrites)
    int limit = -1;                 // index into limits_ when this field is capped
    std::unique_ptr<Node> message;  // a message field's type, to walk; null: skipped whole
  };
  std::vector<Field> fields;  // sorted by number
  // fields' index by number, for the numbers below kDirect (-1: none); checked on every tag.
  static constexpr int kDirect = 64;
  std::vector<int8_t> direct;

  Field* Find(int number) {
    if (number >= 0 && number < static_cast<int>(direct.size())) {
      return direct[number] < 0 ? nullptr : &fields[direct[number]];
    }
    auto it = std::lower_bound(fields.begin(), fields.end(), number,
                               [](const Field& f, int n) { return f.number < n; });
    return it != fields.end() && it->number == number ? &*it : nullptr;
  }
  const Field* Find(int number) const { return const_cast<Node*>(this)->Find(number); }
};

namespace {

std::unique_ptr<FieldCountLimits::Node> BuildNode(const Descriptor& type, int depth) {
  auto node = std::make_unique<FieldCountLimits::Node>();
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    FieldCountLimits::Node::Field& entry = node->fields.emplace_back();
    entry.number = field.number();
    entry.wire_type =
        WireFormatLite::WireTypeForFieldType(static_cast<WireFormatLite::FieldType>(field.type()));
    entry.packable = field.is_packable();
    entry.singular = !field.is_repeated();
    if (field.type() == FieldDescriptor::TYPE_MESSAGE && depth < kMaxDepth) {
      entry.message = BuildNode(*field.message_type(), depth + 1);
    }
  }
  std::sort(node->fields.begin(), node->fields.end(),
            [](const auto& a, const auto& b) { return a.number < b.number; });
  node->direct.assign(FieldCountLimits::Node::kDirect, -1);
  for (size_t i = 0; i < node->fields.size() && i < 128; ++i) {
    const int number = node->fields[i].number;
    if (number < FieldCountLimits::Node::kDirect) node->direct[number] = static_cast<int8_t>(i);
  }
  return node;
}

struct Counts {
  absl::InlinedVector<int64_t, 4> maxima;    // by limit
  absl::InlinedVector<int64_t, 4> repeated;  // by limit
  int64_t max_unknown = 0;
  int64_t unknown = 0;
  int64_t max_repeats = 0;
  int64_t repeats = 0;  // singular fields seen again in the same message
  bool over = false;    // a count passed its limit: the walk stops there
};

// Walks one message's fields (to the stream's current limit): counts the capped fields and
// the unknown ones (numbers the type lacks, or a known number with another wire type: the
// parser keeps both as unknown fields), and descends into message fields. Stops as soon as a
// count passes its limit (counts->over). False when the bytes are not a well-formed message.
bool Walk(CodedInputStream* input, const FieldCountLimits::Node& node, Counts* counts) {
  uint64_t seen = 0;  // bit i: the singular field node.fields[i] occurred in this message
  while (true) {
    const uint32_t tag = input->ReadTag();
    if (tag == 0) return true;  // the end (of the stream or the pushed limit), or bad bytes
    const auto wire_type = WireFormatLite::GetTagWireType(tag);
    const FieldCountLimits::Node::Field* field =
        node.Find(static_cast<int>(WireFormatLite::GetTagFieldNumber(tag)));
    const bool known =
        field != nullptr &&
        (wire_type == field->wire_type ||
         (field->packable && wire_type == WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    if (!known && ++counts->unknown > counts->max_unknown) {
      counts->over = true;
      return true;
    }
    if (known && field->singular) {
      const size_t index = static_cast<size_t>(field - node.fields.data());
      const uint64_t bit = index < 64 ? uint64_t{1} << index : 0;
      if ((seen & bit) != 0 && ++counts->repeats > counts->max_repeats) {
        counts->over = true;
        return true;
      }
      seen |= bit;
    }
    if (!known || field->wire_type != WireFormatLite::WIRETYPE_LENGTH_DELIMITED ||
        (field->limit < 0 && field->message == nullptr)) {
      if (!WireFormatLite::SkipField(input, tag)) return false;
      continue;
    }
    if (field->limit >= 0 && ++counts->repeated[field->limit] > counts->maxima[field->limit]) {
      counts->over = true;
      return true;
    }
    if (field->message == nullptr) {
      if (!WireFormatLite::SkipField(input, tag)) return false;
      continue;
    }
    uint32_t length = 0;
    if (!input->ReadVarint32(&length)) return false;
    const CodedInputStream::Limit outer = input->PushLimit(static_cast<int>(length));
    if (!Walk(input, *field->message, counts)) return false;
    if (counts->over) return true;
    if (input->BytesUntilLimit() != 0) return false;
    input->PopLimit(outer);
  }
}

}  // namespace

FieldCountLimits::FieldCountLimits(const Descriptor& request,
                                   const std::vector<RepeatedFieldLimit>& limits,
                                   int64_t max_unknown_fields, int64_t max_repeated_singular_fields)
    : limits_(limits),
      max_unknown_fields_(max_unknown_fields),
      max_repeated_singular_fields_(max_repeated_singular_fields),
      root_(BuildNode(request, 0)) {
  for (size_t index = 0; index < limits_.size(); ++index) {
    const std::string& path = limits_[index].path;
    const Descriptor* type = &request;
    Node* node = root_.get();
    const FieldDescriptor* field = nullptr;
    Node::Field* entry = nullptr;
    for (absl::string_view name : absl::StrSplit(path, '.')) {
      if (node == nullptr) BadPath(request, path);
      field = type->FindFieldByName(std::string(name));
      if (field == nullptr || field->type() != FieldDescriptor::TYPE_MESSAGE) {
        BadPath(request, path);
      }
      entry = node->Find(field->number());
      node = entry->message.get();
      type = field->message_type();
    }
    if (entry == nullptr || !field->is_repeated() || entry->limit >= 0) BadPath(request, path);
    entry->limit = static_cast<int>(index);
  }
}

FieldCountLimits::FieldCountLimits() = default;
FieldCountLimits::FieldCountLimits(FieldCountLimits&&) = default;
FieldCountLimits& FieldCountLimits::operator=(FieldCountLimits&&) = default;
FieldCountLimits::~FieldCountLimits() = default;

absl::Status FieldCountLimits::Check(google::protobuf::io::ZeroCopyInputStream* bytes) const {
  if (root_ == nullptr) return absl::OkStatus();
  Counts counts;
  counts.repeated.assign(limits_.size(), 0);
  for (const RepeatedFieldLimit& limit : limits_) counts.maxima.push_back(limit.max);
  counts.max_unknown = max_unknown_fields_;
  counts.max_repeats = max_repeated_singular_fields_;
  CodedInputStream input(bytes);
  // Bytes that are not a message are the parser's to answer.
  if (!Walk(&input, *root_, &counts) || !counts.over) return absl::OkStatus();
  for (size_t index = 0; index < limits_.size(); ++index) {
    const RepeatedFieldLimit& limit = limits_[index];
    if (counts.repeated[index] > limit.max) {
      return absl::InvalidArgumentError(absl::Substitute(limit.message, limit.path, limit.max));
    }
  }
  if (counts.repeats > max_repeated_singular_fields_) {
    return absl::InvalidArgumentError(absl::StrCat("request: more than ",
                                                   max_repeated_singular_fields_,
                                                   " repeats of fields that hold one value"));
  }
  return absl::InvalidArgumentError(absl::StrCat("request: more than ", max_unknown_fields_,
                                                 " fields this server does not know"));
}

}  // namespace etiquette
