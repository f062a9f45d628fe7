// grpc_reflect_cli: the subset of grpcurl that README.md uses, so that a test can run the
// README's commands as printed (grpcurl itself is not packaged in Debian 12).
//
//   grpc_reflect_cli -plaintext ADDR list
//   grpc_reflect_cli -plaintext ADDR describe SYMBOL
//   grpc_reflect_cli -plaintext [-H "NAME: VALUE"]... [-d JSON] ADDR PKG.SERVICE/METHOD
//                                                                 (or PKG.SERVICE.METHOD)
//
// Like grpcurl, flags come before the positional arguments, every type is learnt from the
// server over grpc.reflection.v1alpha.ServerReflection (no proto files, no compiled-in
// service code), and exit codes are: 0 success, 1 client-side failure, 2 usage error,
// 64 + code when the called method returns a non-OK status.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <future>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/security/credentials.h"

namespace {

namespace pb = google::protobuf;
namespace reflection = grpc::reflection::v1alpha;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitRpcStatusBase = 64;  // grpcurl exits with 64 + the status code.

// Same bounds as grpcurl's -connect-timeout default; the call bound keeps tests from hanging.
constexpr std::chrono::seconds kConnectTimeout(10);
constexpr std::chrono::seconds kCallTimeout(60);

constexpr char kUsage[] =
    "usage: grpc_reflect_cli -plaintext ADDR list\n"
    "       grpc_reflect_cli -plaintext ADDR describe SYMBOL\n"
    "       grpc_reflect_cli -plaintext [-H 'NAME: VALUE']... [-d JSON] ADDR PKG.SERVICE/METHOD\n";

// ---------------------------------------------------------------------------------------------
// Command line

struct Options {
  bool plaintext = false;
  std::string data;  // The -d value; empty or blank means an empty request message.
  // The -H values as (lower-cased name, value): request metadata, as grpcurl sends it.
  std::vector<std::pair<std::string, std::string>> headers;
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
                << " (grpc_reflect_cli implements only -plaintext, -H and -d)\n"
                << kUsage;
      return std::nullopt;
    }
  }
  options.positional.assign(argv + i, argv + argc);
  return options;
}

// ---------------------------------------------------------------------------------------------
// Reflection

std::string StatusCodeName(grpc::StatusCode code) {
  static const char* const kNames[] = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  const int index = static_cast<int>(code);
  if (index >= 0 && index < static_cast<int>(std::size(kNames))) return kNames[index];
  return "Code(" + std::to_string(index) + ")";
}

std::chrono::system_clock::time_point CallDeadline() {
  return std::chrono::system_clock::now() + kCallTimeout;
}

// One ServerReflectionInfo stream, used strictly as request/response pairs.
class ReflectionClient {
 public:
  explicit ReflectionClient(const std::shared_ptr<grpc::Channel>& channel)
      : stub_(reflection::ServerReflection::NewStub(channel)) {
    context_.set_deadline(CallDeadline());
    stream_ = stub_->ServerReflectionInfo(&context_);
  }

  ~ReflectionClient() {
    if (finished_) return;
    stream_->WritesDone();
    stream_->Finish();  // Every response has been read, so this only collects the status.
  }

  // Fills *names with the server's service names, sorted. False with *error on failure.
  bool ListServices(std::vector<std::string>* names, std::string* error) {
    reflection::ServerReflectionRequest request;
    request.set_list_services("");
    reflection::ServerReflectionResponse response;
    if (!Exchange(request, &response, error)) return false;
    names->clear();
    for (const auto& service : response.list_services_response().service()) {
      names->push_back(service.name());
    }
    std::sort(names->begin(), names->end());
    return true;
  }

  // Adds to *files (keyed by file name) the file that defines `symbol` and every file it
  // imports, transitively. False with *error if the server does not know the symbol.
  bool FetchFilesForSymbol(const std::string& symbol,
                           std::map<std::string, pb::FileDescriptorProto>* files,
                           std::string* error) {
    reflection::ServerReflectionRequest request;
    request.set_file_containing_symbol(symbol);
    if (!FetchFiles(request, files, error)) return false;
    return FetchMissingDependencies(files, error);
  }

 private:
  // Sends one request and reads its response. An error_response counts as a failure; a
  // broken stream stays broken (later calls fail too).
  bool Exchange(const reflection::ServerReflectionRequest& request,
                reflection::ServerReflectionResponse* response, std::string* error) {
    if (finished_) {
      *error = "server reflection stream already failed";
      return false;
    }
    if (!stream_->Write(request) || !stream_->Read(response)) {
      const grpc::Status status = stream_->Finish();
      finished_ = true;
      *error = "server reflection failed: " + StatusCodeName(status.error_code()) + ": " +
               status.error_message();
      return false;
    }
    if (response->has_error_response()) {
      *error = response->error_response().error_message();
      return false;
    }
    return true;
  }

  // Runs a request answered with FileDescriptorProtos and stores them in *files.
  bool FetchFiles(const reflection::ServerReflectionRequest& request,
                  std::map<std::string, pb::FileDescriptorProto>* files, std::string* error) {
    reflection::ServerReflectionResponse response;
    if (!Exchange(request, &response, error)) return false;
    for (const std::string& bytes : response.file_descriptor_response().file_descriptor_proto()) {
      pb::FileDescriptorProto file;
      if (!file.ParseFromString(bytes)) {
        *error = "server reflection sent an unparsable FileDescriptorProto";
        return false;
      }
      (*files)[file.name()] = std::move(file);
    }
    return true;
  }

  // The server may omit files it already sent on this stream, so any import still missing
  // from *files is asked for by name until the set is closed under imports.
  bool FetchMissingDependencies(std::map<std::string, pb::FileDescriptorProto>* files,
                                std::string* error) {
    for (bool fetched = true; fetched;) {
      fetched = false;
      std::set<std::string> missing;
      for (const auto& [name, file] : *files) {
        for (const std::string& dependency : file.dependency()) {
          if (files->count(dependency) == 0) missing.insert(dependency);
        }
      }
      for (const std::string& name : missing) {
        reflection::ServerReflectionRequest request;
        request.set_file_by_filename(name);
        if (!FetchFiles(request, files, error)) return false;
        if (files->count(name) == 0) {
          *error = "server reflection did not return " + name;
          return false;
        }
        fetched = true;
      }
    }
    return true;
  }

  std::unique_ptr<reflection::ServerReflection::Stub> stub_;
  grpc::ClientContext context_;
  bool finished_ = false;  // The stream has been Finish()ed after a failure.
  std::unique_ptr<grpc::ClientReaderWriter<reflection::ServerReflectionRequest,
                                           reflection::ServerReflectionResponse>>
      stream_;
};

// Collects descriptor build errors into one message.
class ErrorCollector : public pb::DescriptorPool::ErrorCollector {
 public:
  void AddError(const std::string& filename, const std::string& element_name,
                const pb::Message* /*descriptor*/, ErrorLocation /*location*/,
                const std::string& message) override {
    text += filename + ": " + element_name + ": " + message + "\n";
  }
  std::string text;
};

// Builds `name` into *pool after its imports, all taken from `files`. Idempotent.
bool BuildFile(const std::string& name, const std::map<std::string, pb::FileDescriptorProto>& files,
               pb::DescriptorPool* pool, std::string* error) {
  if (pool->FindFileByName(name) != nullptr) return true;
  const auto it = files.find(name);
  if (it == files.end()) {
    *error = "missing descriptor for " + name;
    return false;
  }
  for (const std::string& dependency : it->second.dependency()) {
    if (!BuildFile(dependency, files, pool, error)) return false;
  }
  ErrorCollector errors;
  if (pool->BuildFileCollectingErrors(it->second, &errors) == nullptr) {
    *error = "cannot build descriptors from reflection:\n" + errors.text;
    return false;
  }
  return true;
}

// Fills *pool with the files needed to use `symbol`, learnt over server reflection.
// False with *error if the server does not know the symbol or its files do not build.
bool LoadSymbol(ReflectionClient* reflection_client, const std::string& symbol,
                pb::DescriptorPool* pool, std::string* error) {
  std::map<std::string, pb::FileDescriptorProto> files;
  if (!reflection_client->FetchFilesForSymbol(symbol, &files, error)) return false;
  for (const auto& [name, file] : files) {
    if (!BuildFile(name, files, pool, error)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Commands

int RunList(ReflectionClient* reflection_client) {
  std::vector<std::string> names;
  std::string error;
  if (!reflection_client->ListServices(&names, &error)) {
    std::cerr << "Failed to list services: " << error << "\n";
    return kExitFailure;
  }
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

int RunDescribe(ReflectionClient* reflection_client, std::string symbol) {
  if (!symbol.empty() && symbol[0] == '.') symbol.erase(0, 1);
  pb::DescriptorPool pool;
  std::string error;
  std::string text;
  if (LoadSymbol(reflection_client, symbol, &pool, &error)) text = DescribeFromPool(pool, symbol);
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

// Finds the unary method `full_name` over reflection; nullptr with *error otherwise.
const pb::MethodDescriptor* ResolveUnaryMethod(ReflectionClient* reflection_client,
                                               const std::string& full_name,
                                               pb::DescriptorPool* pool, std::string* error) {
  std::string service_name, method_name;
  if (!SplitMethodName(full_name, &service_name, &method_name)) {
    *error = "expected PKG.SERVICE/METHOD, got \"" + full_name + "\"";
    return nullptr;
  }
  const pb::ServiceDescriptor* service = nullptr;
  if (LoadSymbol(reflection_client, service_name, pool, error)) {
    service = pool->FindServiceByName(service_name);
  }
  if (service == nullptr) {
    *error = "target server does not expose service \"" + service_name + "\" over reflection" +
             (error->empty() ? "" : ": " + *error);
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

int RunInvoke(const std::shared_ptr<grpc::Channel>& channel, ReflectionClient* reflection_client,
              const std::string& full_name, const std::string& data,
              const std::vector<std::pair<std::string, std::string>>& headers) {
  pb::DescriptorPool pool;
  pb::DynamicMessageFactory factory(&pool);
  std::string error;
  const pb::MethodDescriptor* method =
      ResolveUnaryMethod(reflection_client, full_name, &pool, &error);
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

// Runs the command in options.positional = {ADDR, COMMAND...}; returns the exit code.
int Run(const Options& options) {
  const std::vector<std::string>& args = options.positional;
  const bool is_list = args.size() == 2 && args[1] == "list";
  const bool is_describe = args.size() == 3 && args[1] == "describe";
  const bool is_invoke = args.size() == 2 && !is_list && args[1] != "describe";
  if (!is_list && !is_describe && !is_invoke) {
    std::cerr << "unsupported arguments\n" << kUsage;
    return kExitUsage;
  }
  if (!options.plaintext) {
    std::cerr << "only -plaintext connections are supported\n" << kUsage;
    return kExitUsage;
  }
  std::shared_ptr<grpc::Channel> channel = Dial(args[0]);
  if (channel == nullptr) return kExitFailure;
  ReflectionClient reflection_client(channel);
  if (is_list) return RunList(&reflection_client);
  if (is_describe) return RunDescribe(&reflection_client, args[2]);
  return RunInvoke(channel, &reflection_client, args[1], options.data, options.headers);
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Options> options = ParseArgs(argc, argv);
  if (!options) return kExitUsage;
  return Run(*options);
}
