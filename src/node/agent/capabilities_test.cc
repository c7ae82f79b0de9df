#include "node/agent/capabilities.h"

#include <gtest/gtest.h>

#include "node/test_util.h"

namespace locai::node::agent {
namespace {

TEST(CapabilitiesTest, JsonHasEveryFieldOfTheProtocol) {
  node::testing::TempDir dir;
  const Capabilities caps = ProbeCapabilities({.data_dir = dir.path()});
  const nlohmann::json json = CapabilitiesToJson(caps);
  for (const char* field : {"hostname", "os", "cpu_model", "cores", "simd", "ram_total", "ram_free",
                            "gpu", "disk_free"}) {
    EXPECT_TRUE(json.contains(field)) << field;
  }
  EXPECT_FALSE(json["hostname"].get<std::string>().empty());
  EXPECT_NE(json["os"].get<std::string>().find("Linux"), std::string::npos);
  EXPECT_GE(json["cores"].get<int64_t>(), 1);
  EXPECT_TRUE(json["simd"].is_array());
  EXPECT_GT(json["ram_total"].get<uint64_t>(), 0u);
  EXPECT_GT(json["ram_free"].get<uint64_t>(), 0u);
  EXPECT_LE(json["ram_free"].get<uint64_t>(), json["ram_total"].get<uint64_t>());
  EXPECT_TRUE(json["gpu"].is_null());
  EXPECT_GT(json["disk_free"].get<uint64_t>(), 0u);
}

TEST(CapabilitiesTest, ReportedMemoryAndMemoryLimitOverrideTheMachine) {
  const Capabilities reported =
      ProbeCapabilities({.report_memory = 3'000'000'000ull, .committed_bytes = 1'000'000'000ull});
  EXPECT_EQ(reported.ram_total, 3'000'000'000ull);
  EXPECT_EQ(reported.ram_free, 2'000'000'000ull);

  const Capabilities limited = ProbeCapabilities({.memory_limit = 123'456'789ull});
  EXPECT_EQ(limited.ram_free, 123'456'789ull);
  EXPECT_GT(limited.ram_total, 0u);

  const Capabilities over = ProbeCapabilities({.memory_limit = 100ull, .committed_bytes = 200ull});
  EXPECT_EQ(over.ram_free, 0u);
}

TEST(CapabilitiesTest, ParsesProcFiles) {
  const std::string cpuinfo =
      "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13 64-Core Processor\n"
      "flags\t\t: fpu avx2\n\nprocessor\t: 1\nmodel name\t: other\n";
  EXPECT_EQ(ParseCpuModel(cpuinfo), "AMD EPYC 7B13 64-Core Processor");
  EXPECT_EQ(ParseCpuModel("processor: 0\n"), "");

  const std::string meminfo =
      "MemTotal:       16315104 kB\nMemFree:          512000 kB\nMemAvailable:   8000000 kB\n";
  EXPECT_EQ(ParseMeminfoField(meminfo, "MemTotal"), 16315104ull * 1024);
  EXPECT_EQ(ParseMeminfoField(meminfo, "MemAvailable"), 8000000ull * 1024);
  EXPECT_EQ(ParseMeminfoField(meminfo, "SwapTotal"), std::nullopt);
  EXPECT_EQ(ParseMeminfoField("MemTotal: lots\n", "MemTotal"), std::nullopt);
}

}  // namespace
}  // namespace locai::node::agent
