#include "common/yaml_proto.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "yaml-cpp/yaml.h"

namespace etiquette {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::Status Error(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path.empty() ? "(top level)" : path, ": ", what));
}

// "RuleMode" -> "RULE_MODE_", the prefix protobuf style puts on every value.
std::string EnumPrefix(const EnumDescriptor& type) {
  std::string prefix;
  for (char c : type.name()) {
    if (std::isupper(static_cast<unsigned char>(c)) && !prefix.empty()) prefix += '_';
    prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return prefix + "_";
}

absl::Status MergeMessage(const YAML::Node& node, Message* message, const std::string& path);

// Parses one scalar into a singular field (index < 0) or appends it to a repeated field.
absl::Status SetScalar(const YAML::Node& node, Message* message, const FieldDescriptor* field,
                       const std::string& path) {
  const Reflection* reflection = message->GetReflection();
  const bool repeated = field->is_repeated();
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    Message* child = repeated ? reflection->AddMessage(message, field)
                              : reflection->MutableMessage(message, field);
    return MergeMessage(node, child, path);
  }
  if (!node.IsScalar()) return Error(path, "expected a single value");
  const std::string& text = node.Scalar();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      repeated ? reflection->AddString(message, field, text)
               : reflection->SetString(message, field, text);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool value;
      if (text != "true" && text != "false") return Error(path, "expected true or false");
      value = text == "true";
      repeated ? reflection->AddBool(message, field, value)
               : reflection->SetBool(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t value;
      if (!absl::SimpleAtoi(text, &value)) return Error(path, "expected an integer");
      repeated ? reflection->AddInt32(message, field, value)
               : reflection->SetInt32(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t value;
      if (!absl::SimpleAtoi(text, &value)) return Error(path, "expected an integer");
      repeated ? reflection->AddInt64(message, field, value)
               : reflection->SetInt64(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t value;
      if (!absl::SimpleAtoi(text, &value)) return Error(path, "expected an unsigned integer");
      repeated ? reflection->AddUInt32(message, field, value)
               : reflection->SetUInt32(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t value;
      if (!absl::SimpleAtoi(text, &value)) return Error(path, "expected an unsigned integer");
      repeated ? reflection->AddUInt64(message, field, value)
               : reflection->SetUInt64(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double value;
      if (!absl::SimpleAtod(text, &value)) return Error(path, "expected a number");
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
        repeated ? reflection->AddFloat(message, field, static_cast<float>(value))
                 : reflection->SetFloat(message, field, static_cast<float>(value));
      } else {
        repeated ? reflection->AddDouble(message, field, value)
                 : reflection->SetDouble(message, field, value);
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumDescriptor* type = field->enum_type();
      const EnumValueDescriptor* value = type->FindValueByName(text);
      if (value == nullptr) value = type->FindValueByName(EnumPrefix(*type) + text);
      if (value == nullptr) {
        std::string names;
        for (int i = 1; i < type->value_count(); ++i) {  // value 0 is always UNSPECIFIED
          absl::StrAppend(&names, i > 1 ? ", " : "",
                          type->value(i)->name().substr(EnumPrefix(*type).size()));
        }
        return Error(path, absl::StrCat("expected one of ", names, "; got \"", text, "\""));
      }
      repeated ? reflection->AddEnum(message, field, value)
               : reflection->SetEnum(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;  // handled above
  }
  return Error(path, "unsupported field type");
}

absl::Status MergeMessage(const YAML::Node& node, Message* message, const std::string& path) {
  if (node.IsNull()) return absl::OkStatus();  // "key:" with nothing under it changes nothing
  if (!node.IsMap()) return Error(path, "expected a mapping of field names to values");
  const Descriptor* descriptor = message->GetDescriptor();
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) return Error(path, "keys must be plain field names");
    const std::string& key = entry.first.Scalar();
    const std::string child_path = path.empty() ? key : absl::StrCat(path, ".", key);
    const FieldDescriptor* field = descriptor->FindFieldByName(key);
    if (field == nullptr) return Error(child_path, "unknown key");
    const YAML::Node& value = entry.second;
    if (field->is_map()) return Error(child_path, "map fields are not supported");
    if (field->is_repeated()) {
      if (!value.IsSequence() && !value.IsNull()) return Error(child_path, "expected a list");
      message->GetReflection()->ClearField(message, field);
      size_t index = 0;
      for (const auto& item : value) {
        absl::Status s =
            SetScalar(item, message, field, absl::StrCat(child_path, "[", index++, "]"));
        if (!s.ok()) return s;
      }
      continue;
    }
    if (value.IsNull() && field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) {
      return Error(child_path, "expected a value");
    }
    if (absl::Status s = SetScalar(value, message, field, child_path); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status MergeYamlIntoMessage(absl::string_view yaml_text, Message* message) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not valid YAML at line ", e.mark.line + 1,
                                                   ", column ", e.mark.column + 1, ": ", e.msg));
  }
  return MergeMessage(root, message, "");
}

absl::Status MergeYamlFileIntoMessage(const std::string& path, Message* message,
                                      const std::function<absl::Status(const Message&)>& validate) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open the file"));
  std::stringstream text;
  text << in.rdbuf();
  absl::Status status = MergeYamlIntoMessage(text.str(), message);
  if (status.ok()) status = validate(*message);
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(path, ": ", status.message()));
}

}  // namespace etiquette
