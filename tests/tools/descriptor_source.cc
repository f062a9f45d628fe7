#include "descriptor_source.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "google/protobuf/descriptor.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/client_context.h"

namespace grpc_reflect_cli {
namespace {

namespace pb = google::protobuf;
namespace reflection = grpc::reflection::v1alpha;

using FileMap = std::map<std::string, pb::FileDescriptorProto>;

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

// Builds `name` into *pool after its imports, all taken from `files`. Idempotent. `origin`
// names where the files came from, for the error message.
bool BuildFile(const std::string& name, const FileMap& files, const std::string& origin,
               pb::DescriptorPool* pool, std::string* error) {
  if (pool->FindFileByName(name) != nullptr) return true;
  const auto it = files.find(name);
  if (it == files.end()) {
    *error = "missing descriptor for " + name;
    return false;
  }
  for (const std::string& dependency : it->second.dependency()) {
    if (!BuildFile(dependency, files, origin, pool, error)) return false;
  }
  ErrorCollector errors;
  if (pool->BuildFileCollectingErrors(it->second, &errors) == nullptr) {
    *error = "cannot build descriptors from " + origin + ":\n" + errors.text;
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Server reflection: one ServerReflectionInfo stream, used strictly as request/response pairs.

class ReflectionSource : public DescriptorSource {
 public:
  ReflectionSource(const std::shared_ptr<grpc::Channel>& channel,
                   std::chrono::system_clock::time_point deadline)
      : stub_(reflection::ServerReflection::NewStub(channel)) {
    context_.set_deadline(deadline);
    stream_ = stub_->ServerReflectionInfo(&context_);
  }

  ~ReflectionSource() override {
    if (finished_) return;
    stream_->WritesDone();
    stream_->Finish();  // Every response has been read, so this only collects the status.
  }

  bool ListServices(std::vector<std::string>* names, std::string* error) override {
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

  // Fetches the file that defines `symbol` and every file it imports, transitively, and
  // builds them into the pool.
  bool LoadSymbol(const std::string& symbol, std::string* error) override {
    FileMap files;
    reflection::ServerReflectionRequest request;
    request.set_file_containing_symbol(symbol);
    if (!FetchFiles(request, &files, error) || !FetchMissingDependencies(&files, error)) {
      return false;
    }
    for (const auto& [name, file] : files) {
      if (!BuildFile(name, files, "reflection", &pool_, error)) return false;
    }
    return true;
  }

  const pb::DescriptorPool* pool() const override { return &pool_; }

  std::string MissingServiceError(const std::string& service,
                                  const std::string& detail) const override {
    return "target server does not expose service \"" + service + "\" over reflection" +
           (detail.empty() ? "" : ": " + detail);
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
  bool FetchFiles(const reflection::ServerReflectionRequest& request, FileMap* files,
                  std::string* error) {
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
  bool FetchMissingDependencies(FileMap* files, std::string* error) {
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
  pb::DescriptorPool pool_;
};

// ---------------------------------------------------------------------------------------------
// Descriptor set files: everything is in the pool from the start.

class ProtosetSource : public DescriptorSource {
 public:
  // Builds every file of `files` into the pool; false with *error if one does not build.
  bool Init(const FileMap& files, std::string* error) {
    for (const auto& [name, file] : files) {
      if (!BuildFile(name, files, "the protoset files", &pool_, error)) return false;
      for (const auto& service : file.service()) {
        services_.insert(file.package().empty() ? service.name()
                                                : file.package() + "." + service.name());
      }
    }
    return true;
  }

  bool ListServices(std::vector<std::string>* names, std::string* /*error*/) override {
    names->assign(services_.begin(), services_.end());  // A std::set: sorted, no duplicates.
    return true;
  }

  bool LoadSymbol(const std::string& symbol, std::string* error) override {
    if (pool_.FindFileContainingSymbol(symbol) != nullptr) return true;
    *error = "Symbol not found: " + symbol;
    return false;
  }

  const pb::DescriptorPool* pool() const override { return &pool_; }

  std::string MissingServiceError(const std::string& service,
                                  const std::string& /*detail*/) const override {
    return "target server does not expose service \"" + service +
           "\" (it is not in the -protoset files)";
  }

 private:
  pb::DescriptorPool pool_;
  std::set<std::string> services_;
};

}  // namespace

std::unique_ptr<DescriptorSource> NewReflectionSource(
    const std::shared_ptr<grpc::Channel>& channel, std::chrono::system_clock::time_point deadline,
    std::string* error) {
  if (std::getenv(kNoReflectionEnv) != nullptr) {
    *error = std::string("server reflection is forbidden: ") + kNoReflectionEnv + " is set";
    return nullptr;
  }
  return std::make_unique<ReflectionSource>(channel, deadline);
}

std::unique_ptr<DescriptorSource> NewProtosetSource(const std::vector<std::string>& paths,
                                                    std::string* error) {
  FileMap files;
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    if (!in || !(bytes << in.rdbuf())) {
      *error = "could not load protoset file \"" + path + "\": open " + path + ": " +
               std::strerror(errno);
      return nullptr;
    }
    pb::FileDescriptorSet set;
    if (!set.ParseFromString(bytes.str())) {
      *error = "could not parse contents of protoset file \"" + path +
               "\": not a serialized google.protobuf.FileDescriptorSet";
      return nullptr;
    }
    for (pb::FileDescriptorProto& file : *set.mutable_file()) {
      std::string name = file.name();
      files[name] = std::move(file);
    }
  }
  auto source = std::make_unique<ProtosetSource>();
  if (!source->Init(files, error)) return nullptr;
  return source;
}

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

}  // namespace grpc_reflect_cli
