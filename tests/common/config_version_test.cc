#include "common/config_version.h"

#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"

namespace etiquette {
namespace {

// Known values, computed outside the code under test (Python, FNV-1a 64-bit over the bytes, top
// 48 bits as 12 hex digits): a config's version must not change between builds or releases
// for the same config, so it is pinned here rather than compared with itself.
TEST(ConfigVersionTest, KnownValues) {
  EXPECT_EQ(ConfigVersion(google::protobuf::StringValue()), "cbf29ce48422");  // no bytes
  google::protobuf::StringValue a;
  a.set_value("a");  // 0a 01 61
  EXPECT_EQ(ConfigVersion(a), "2fe85b189d1c");
  google::protobuf::StringValue hello;
  hello.set_value("hello");  // 0a 05 68 65 6c 6c 6f
  EXPECT_EQ(ConfigVersion(hello), "07a3814d2f4f");
}

}  // namespace
}  // namespace etiquette
