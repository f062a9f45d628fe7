// ReleaseFreeMemory gives the allocator's free memory back to the kernel: after a burst of
// small allocations is freed behind one that stays, resident memory drops only once it runs.
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "common/watchers.h"
#include "gtest/gtest.h"

namespace etiquette {
namespace {

int64_t ResidentKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

TEST(ReleaseFreeMemoryTest, FreedBurstLeavesResidentMemory) {
  constexpr int kBlocks = 256 * 1024;  // 64 MiB in 256-byte blocks, below the mmap threshold
  std::vector<std::unique_ptr<char[]>> burst;
  burst.reserve(kBlocks);
  for (int i = 0; i < kBlocks; ++i) {
    burst.emplace_back(new char[256]);
    std::fill_n(burst.back().get(), 256, static_cast<char>(i));  // touch every page
  }
  // One block after the burst stays allocated, so the heap's top cannot shrink by itself.
  auto pin = std::make_unique<char[]>(256);
  pin[0] = 1;
  burst.clear();
  burst.shrink_to_fit();
  const int64_t before = ResidentKib();
  ReleaseFreeMemory();
  const int64_t after = ResidentKib();
  ASSERT_GT(before, 0);
  EXPECT_LT(after, before - 32 * 1024) << "VmRSS " << before << " KiB -> " << after << " KiB";
}

}  // namespace
}  // namespace etiquette
