// Smoke tests of the benchmark commands (they are commands, not timed tests:
// nothing here looks at a rate). Each runs the real binary on a tiny workload and
// checks that it completes, exits 0 and reports the work it was asked to do.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/process_util.h"
#include "tests/scratch_dir_test_util.h"

namespace accrue {
namespace {

class BenchSmokeTest : public testing::ScratchDirTest {
 protected:
  BenchSmokeTest() : ScratchDirTest("accrue-bench-smoke") {}
};

TEST_F(BenchSmokeTest, BillrunIssuesOneInvoicePerAccountAndCleansUp) {
  auto run = testing::RunCommand(std::string(ACCRUE_BINARY) +
                                 " bench billrun --accounts 40 --runs 1 --json --dir " + dir_);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("\"accounts\":40,\"invoices\":40,"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\"median_invoices_per_s\":"), std::string::npos) << run.out;
  EXPECT_TRUE(std::filesystem::is_empty(dir_)) << "scratch data left behind";
}

TEST_F(BenchSmokeTest, AppendRunsOneRowAgainstItsRawBaseline) {
  auto run = testing::RunCommand(std::string(ACCRUE_BINARY) +
                                 " bench append --seconds 0.05 --batch 100 --appenders 4 --json --dir " + dir_);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("\"batch\":100,\"appenders\":4,"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\"ratio\":"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("\"batch\":1,"), std::string::npos) << "--batch must select one row: " << run.out;
}

TEST_F(BenchSmokeTest, HelpOfOneBenchmarkIsItsUsage) {
  auto run = testing::RunCommand(std::string(ACCRUE_BINARY) + " bench billrun --help");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_EQ(run.out.rfind("Usage: accrue bench billrun", 0), 0u) << run.out;
}

}  // namespace
}  // namespace accrue
