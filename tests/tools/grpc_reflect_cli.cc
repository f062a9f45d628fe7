// grpc_reflect_cli: the subset of grpcurl that README.md uses, so that a test can run the
// README's commands as printed (grpcurl itself is not packaged in Debian 12).
//
//   grpc_reflect_cli [-protoset FILE]... -plaintext ADDR list
//   grpc_reflect_cli [-protoset FILE]... -plaintext ADDR describe SYMBOL
//   grpc_reflect_cli [-protoset FILE]... -plaintext [-H "NAME: VALUE"]... [-d JSON | -d @]
//                    ADDR PKG.SERVICE/METHOD (or PKG.SERVICE.METHOD)
//   grpc_reflect_cli -protoset FILE... list | describe SYMBOL     (no server needed)
//
// Like grpcurl, flags come before the positional arguments, and every type is learnt at run
// time from a descriptor source (descriptor_source.h; no compiled-in service code): without
// -protoset, from the server over grpc.reflection.v1alpha.ServerReflection; with -protoset,
// from those FileDescriptorSet files only, with no reflection call at all (`list` then lists
// the services in the files, and `list` and `describe` do not even connect). `-d @` reads the
// request from stdin, as grpcurl does (one message; requests past the argument size limit). Exit
// codes are grpcurl's: 0 success, 1 client-side failure, 2 usage error, 64 + code when the called
// method returns a non-OK status.
#include <cctype>
#include <chrono>
#include <future>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "descriptor_source.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/credentials.h"

namespace {

namespace pb = google::protobuf;
using grpc_reflect_cli::DescriptorSource;
using grpc_reflect_cli::StatusCodeName;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitRpcStatusBase = 64;  // grpcurl exits with 64 + the status code.

// Same bounds as grpcurl's -connect-timeout default; the call bound keeps tests from hanging.
constexpr std::chrono::seconds kConnectTimeout(10);
constexpr std::chrono::seconds kCallTimeout(60);

constexpr char kUsage[] =
    "usage: grpc_reflect_cli [-protoset FILE]... -plaintext ADDR list\n"
    "       grpc_reflect_cli [-protoset FILE]... -plaintext ADDR describe SYMBOL\n"
    "       grpc_reflect_cli [-protoset FILE]... -plaintext [-H 'NAME: VALUE']... [-d JSON|@]\n"
    "                        ADDR PKG.SERVICE/METHOD\n"
    "       grpc_reflect_cli -protoset FILE... list | describe SYMBOL\n";

// ---------------------------------------------------------------------------------------------
// Command line

struct Options {
  bool plaintext = false;
  std::string data;              // The -d value; empty or blank means an empty request message.
  bool data_from_stdin = false;  // -d @: the request is read from stdin instead.
  // The -H values as (lower-cased name, value): request metadata, as grpcurl sends it.
  std::vector<std::pair<std::string, std::string>> headers;
  // The -protoset values: when there are any, types come from these files, not reflection.
  std::vector<std::string> protosets;
  std::vector<std::string> positional;
};

// Parses Go-flag style arguments as grpcurl does: "-flag" or "--flag", "-d VALUE" or
// "-d=VALUE", flags end at the first positional argument or at "--". Returns nullopt after
// printing the reason to stderr when the arguments are outside the supported subset.
std::optional<Options> ParseArgs(int argc, char** argv) {
  Options options;
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') break;  // First positional argument.
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (name == "plaintext" && (!value || *value == "true")) {
      options.plaintext = true;
    } else if (name == "d") {
      if (!value && i + 1 >= argc) {
        std::cerr << "flag needs an argument: -d\n" << kUsage;
        return std::nullopt;
      }
      options.data = value ? *value : argv[++i];
      options.data_from_stdin = options.data == "@";
    } else if (name == "protoset") {
      if (!value && i + 1 >= argc) {
        std::cerr << "flag needs an argument: -protoset\n" << kUsage;
        return std::nullopt;
      }
      options.protosets.push_back(value ? *value : argv[++i]);
    } else if (name == "H") {
      if (!value && i + 1 >= argc) {
        std::cerr << "flag needs an argument: -H\n" << kUsage;
        return std::nullopt;
      }
      const std::string header = value ? *value : argv[++i];
      const size_t colon = header.find(':');
      if (colon == std::string::npos) {
        std::cerr << "-H wants \"NAME: VALUE\", got \"" << header << "\"\n";
        return std::nullopt;
      }
      std::string header_name = header.substr(0, colon);
      for (char& c : header_name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const size_t start = header.find_first_not_of(' ', colon + 1);
      options.headers.emplace_back(header_name,
                                   start == std::string::npos ? "" : header.substr(start));
    } else {
      std::cerr << "unsupported flag " << arg
                << " (grpc_reflect_cli implements only -plaintext, -protoset, -H and -d)\n"
                << kUsage;
      return std::nullopt;
    }
  }
  options.positional.assign(argv + i, argv + argc);
  return options;
}

// ---------------------------------------------------------------------------------------------
// Commands

std::chrono::system_clock::time_point CallDeadline() {
  return std::chrono::system_clock::now() + kCallTimeout;
}

int RunList(DescriptorSource* source) {
  std::vector<std::string> names;
  std::string error;
  if (!source->ListServices(&names, &error)) {
    std::cerr << "Failed to list services: " << error << "\n";
    return kExitFailure;
  }
  if (names.empty()) std::cout << "(No services)\n";  // As grpcurl prints it.
  for (const std::string& name : names) std::cout << name << "\n";
  return kExitOk;
}

// grpcurl's "<symbol> is <kind>:" header plus the element's proto source; "" if null.
template <typename Descriptor>
std::string Describe(const std::string& symbol, const char* kind, const Descriptor* descriptor) {
  if (descriptor == nullptr) return "";
  return symbol + " is " + kind + ":\n" + descriptor->DebugString();
}

// Describes `symbol` (a service, method, type, field, ...) from `pool`; "" if it is not there.
std::string DescribeFromPool(const pb::DescriptorPool& pool, const std::string& symbol) {
  for (const std::string& text : {
           Describe(symbol, "a service", pool.FindServiceByName(symbol)),
           Describe(symbol, "a message", pool.FindMessageTypeByName(symbol)),
           Describe(symbol, "an enum", pool.FindEnumTypeByName(symbol)),
           Describe(symbol, "a method", pool.FindMethodByName(symbol)),
           Describe(symbol, "an extension", pool.FindExtensionByName(symbol)),
           Describe(symbol, "a field", pool.FindFieldByName(symbol)),
           Describe(symbol, "an enum value", pool.FindEnumValueByName(symbol)),
       }) {
    if (!text.empty()) return text;
  }
  return "";
}

int RunDescribe(DescriptorSource* source, std::string symbol) {
  if (!symbol.empty() && symbol[0] == '.') symbol.erase(0, 1);
  std::string error;
  std::string text;
  if (source->LoadSymbol(symbol, &error)) text = DescribeFromPool(*source->pool(), symbol);
  if (text.empty()) {
    std::cerr << "Failed to resolve symbol \"" << symbol
              << "\": " << (error.empty() ? "Symbol not found: " + symbol : error) << "\n";
    return kExitFailure;
  }
  std::cout << text;
  if (text.back() != '\n') std::cout << "\n";
  return kExitOk;
}

// Splits "pkg.Service/Method" or "pkg.Service.Method" into service and method names.
bool SplitMethodName(const std::string& full, std::string* service, std::string* method) {
  size_t cut = full.rfind('/');
  if (cut == std::string::npos) cut = full.rfind('.');
  if (cut == std::string::npos || cut == 0 || cut + 1 == full.size()) return false;
  *service = full.substr(full[0] == '.' ? 1 : 0, full[0] == '.' ? cut - 1 : cut);
  *method = full.substr(cut + 1);
  return true;
}

// Parses the -d text into a new message of `type`; blank text is the empty message.
std::unique_ptr<pb::Message> ParseRequest(const pb::Descriptor* type, const std::string& json,
                                          pb::DynamicMessageFactory* factory, std::string* error) {
  std::unique_ptr<pb::Message> request(factory->GetPrototype(type)->New());
  if (json.find_first_not_of(" \t\r\n") == std::string::npos) return request;
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const pb::util::Status status = pb::util::JsonStringToMessage(json, request.get(), options);
  if (!status.ok()) {
    *error = std::string(status.message());
    return nullptr;
  }
  return request;
}

// Makes one unary call with serialized bytes; blocks until it completes.
grpc::Status CallUnary(const std::shared_ptr<grpc::Channel>& channel, const std::string& path,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::string& request_bytes, std::string* response_bytes) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(CallDeadline());
  for (const auto& [name, value] : headers) context.AddMetadata(name, value);
  grpc::Slice request_slice(request_bytes);
  grpc::ByteBuffer request(&request_slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, path, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return status;
  grpc::Slice response_slice;
  if (!response.DumpToSingleSlice(&response_slice).ok()) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "cannot read the response bytes");
  }
  response_bytes->assign(reinterpret_cast<const char*>(response_slice.begin()),
                         response_slice.size());
  return status;
}

// Prints a message as grpcurl does: indented JSON, proto3 JSON field names.
bool PrintJson(const pb::Message& message, std::string* error) {
  pb::util::JsonPrintOptions options;
  options.add_whitespace = true;
  std::string json;
  const pb::util::Status status = pb::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    *error = std::string(status.message());
    return false;
  }
  std::cout << json;
  if (json.empty() || json.back() != '\n') std::cout << "\n";
  return true;
}

// Finds the unary method `full_name` in `source`; nullptr with *error otherwise.
const pb::MethodDescriptor* ResolveUnaryMethod(DescriptorSource* source,
                                               const std::string& full_name, std::string* error) {
  std::string service_name, method_name;
  if (!SplitMethodName(full_name, &service_name, &method_name)) {
    *error = "expected PKG.SERVICE/METHOD, got \"" + full_name + "\"";
    return nullptr;
  }
  const pb::ServiceDescriptor* service = nullptr;
  if (source->LoadSymbol(service_name, error)) {
    service = source->pool()->FindServiceByName(service_name);
  }
  if (service == nullptr) {
    *error = source->MissingServiceError(service_name, *error);
    return nullptr;
  }
  const pb::MethodDescriptor* method = service->FindMethodByName(method_name);
  if (method == nullptr) {
    *error =
        "service \"" + service_name + "\" does not include a method named \"" + method_name + "\"";
  } else if (method->client_streaming() || method->server_streaming()) {
    *error = "only unary methods are supported";
    method = nullptr;
  }
  return method;
}

int RunInvoke(const std::shared_ptr<grpc::Channel>& channel, DescriptorSource* source,
              const std::string& full_name, const std::string& data,
              const std::vector<std::pair<std::string, std::string>>& headers) {
  pb::DynamicMessageFactory factory(source->pool());
  std::string error;
  const pb::MethodDescriptor* method = ResolveUnaryMethod(source, full_name, &error);
  std::unique_ptr<pb::Message> request;
  if (method != nullptr) request = ParseRequest(method->input_type(), data, &factory, &error);
  if (request == nullptr) {
    std::cerr << "Error invoking method \"" << full_name << "\": " << error << "\n";
    return kExitFailure;
  }

  const std::string path = "/" + method->service()->full_name() + "/" + method->name();
  std::string response_bytes;
  const grpc::Status status =
      CallUnary(channel, path, headers, request->SerializeAsString(), &response_bytes);
  if (!status.ok()) {
    std::cerr << "ERROR:\n  Code: " << StatusCodeName(status.error_code())
              << "\n  Message: " << status.error_message() << "\n";
    return kExitRpcStatusBase + static_cast<int>(status.error_code());
  }
  std::unique_ptr<pb::Message> response(factory.GetPrototype(method->output_type())->New());
  if (!response->ParseFromString(response_bytes) || !PrintJson(*response, &error)) {
    std::cerr << "Failed to decode the response of \"" << full_name << "\": " << error << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

// Waits until `channel` is connected. Like grpcurl (FailOnNonTempDialError), gives up as soon
// as a connection attempt fails, or after kConnectTimeout.
bool WaitUntilReady(grpc::Channel* channel) {
  const auto deadline = std::chrono::system_clock::now() + kConnectTimeout;
  for (grpc_connectivity_state state = channel->GetState(/*try_to_connect=*/true);
       state != GRPC_CHANNEL_READY; state = channel->GetState(/*try_to_connect=*/true)) {
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) return false;
    if (!channel->WaitForStateChange(state, deadline)) return false;
  }
  return true;
}

// Connects to `address` without TLS; nullptr (after printing why) if it is unreachable.
std::shared_ptr<grpc::Channel> Dial(const std::string& address) {
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  if (!WaitUntilReady(channel.get())) {
    std::cerr << "Failed to dial target host \"" << address << "\": cannot connect\n";
    return nullptr;
  }
  return channel;
}

// Runs the command in options.positional = {[ADDR,] COMMAND...}; returns the exit code. As in
// grpcurl, the address is the first argument unless that is "list" or "describe", and it may
// be left out only where it is not needed: `list` and `describe` with -protoset.
int Run(const Options& options) {
  std::vector<std::string> args = options.positional;
  std::string address;
  if (!args.empty() && args[0] != "list" && args[0] != "describe") {
    address = args[0];
    args.erase(args.begin());
  }
  const bool is_list = args.size() == 1 && args[0] == "list";
  const bool is_describe = args.size() == 2 && args[0] == "describe";
  const bool is_invoke = args.size() == 1 && !is_list && args[0] != "describe";
  if (!is_list && !is_describe && !is_invoke) {
    std::cerr << "unsupported arguments\n" << kUsage;
    return kExitUsage;
  }
  const bool from_protoset = !options.protosets.empty();
  // Reflection needs the server for every command; the files only for invoking a method.
  const bool needs_server = is_invoke || !from_protoset;
  if (needs_server && address.empty()) {
    std::cerr << "No host:port specified.\n" << kUsage;
    return kExitUsage;
  }
  if (needs_server && !options.plaintext) {
    std::cerr << "only -plaintext connections are supported\n" << kUsage;
    return kExitUsage;
  }

  std::string error;
  std::unique_ptr<DescriptorSource> source;
  if (from_protoset) {
    source = grpc_reflect_cli::NewProtosetSource(options.protosets, &error);
    if (source == nullptr) {
      std::cerr << "Failed to process proto descriptor sets.: " << error << "\n";
      return kExitFailure;
    }
  }
  std::shared_ptr<grpc::Channel> channel;
  if (needs_server) {
    channel = Dial(address);
    if (channel == nullptr) return kExitFailure;
  }
  if (!from_protoset) {
    source = grpc_reflect_cli::NewReflectionSource(channel, CallDeadline(), &error);
    if (source == nullptr) {
      std::cerr << "Failed to create a server reflection client: " << error << "\n";
      return kExitFailure;
    }
  }
  if (is_list) return RunList(source.get());
  if (is_describe) return RunDescribe(source.get(), args[1]);
  return RunInvoke(channel, source.get(), args[0], options.data, options.headers);
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<Options> options = ParseArgs(argc, argv);
  if (!options) return kExitUsage;
  if (options->data_from_stdin) {
    options->data.assign(std::istreambuf_iterator<char>(std::cin),
                         std::istreambuf_iterator<char>());
    if (std::cin.bad()) {
      std::cerr << "cannot read the request from stdin (-d @)\n";
      return kExitFailure;
    }
  }
  return Run(*options);
}
