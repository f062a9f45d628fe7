// Where grpc_reflect_cli learns the types of the services it talks to, as in grpcurl: the
// server itself (server reflection), or descriptor set files (-protoset) and no reflection
// call at all.
#ifndef ETIQUETTE_TESTS_TOOLS_DESCRIPTOR_SOURCE_H_
#define ETIQUETTE_TESTS_TOOLS_DESCRIPTOR_SOURCE_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"

namespace grpc_reflect_cli {

// Setting this environment variable (to anything) makes NewReflectionSource refuse to open a
// reflection stream, so that a test can prove that a command never uses server reflection.
inline constexpr char kNoReflectionEnv[] = "GRPC_REFLECT_CLI_NO_REFLECTION";

class DescriptorSource {
 public:
  virtual ~DescriptorSource() = default;

  // Fills *names with the full names of the services the source knows, sorted. False with
  // *error on failure.
  virtual bool ListServices(std::vector<std::string>* names, std::string* error) = 0;

  // Makes the file that defines `symbol` (a service, message, enum, method, field, ...) and
  // every file it imports available in pool(). False with *error if the source does not know
  // the symbol or its files do not build.
  virtual bool LoadSymbol(const std::string& symbol, std::string* error) = 0;

  // The descriptors loaded so far.
  virtual const google::protobuf::DescriptorPool* pool() const = 0;

  // The message of a failed invocation when `service` is not known; `detail` is LoadSymbol's
  // error, possibly empty.
  virtual std::string MissingServiceError(const std::string& service,
                                          const std::string& detail) const = 0;
};

// Server reflection (grpc.reflection.v1alpha.ServerReflection) over `channel`: one stream,
// opened now with `deadline` and used for every request. nullptr with *error, and no stream
// opened, if kNoReflectionEnv is set.
std::unique_ptr<DescriptorSource> NewReflectionSource(
    const std::shared_ptr<grpc::Channel>& channel, std::chrono::system_clock::time_point deadline,
    std::string* error);

// The FileDescriptorSets in `paths` (as written by protoc --descriptor_set_out
// --include_imports), merged; a file name given twice is taken from the last set, as grpcurl
// does. Every file is built up front. nullptr with *error (grpcurl's wording) if a file cannot
// be read or parsed, or the descriptors do not build.
std::unique_ptr<DescriptorSource> NewProtosetSource(const std::vector<std::string>& paths,
                                                    std::string* error);

// grpcurl's name of a status code: "OK", "InvalidArgument", ..., "Code(N)" if unknown.
std::string StatusCodeName(grpc::StatusCode code);

}  // namespace grpc_reflect_cli

#endif  // ETIQUETTE_TESTS_TOOLS_DESCRIPTOR_SOURCE_H_
