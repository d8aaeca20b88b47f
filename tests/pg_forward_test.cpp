// `accrue project` and `accrue bench project` run in accrue-pg, the executable built
// beside accrue (app/pg_forward.cpp, docs/decisions/0010): the command reaches the
// real projector with its arguments, and without accrue-pg beside it accrue says
// so and exits 2. No PostgreSQL needed: both stop before connecting.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/process_util.h"
#include "tests/scratch_dir_test_util.h"

namespace accrue {
namespace {

class PgForwardTest : public testing::ScratchDirTest {
 protected:
  PgForwardTest() : ScratchDirTest("accrue-pg-forward") {}
};

TEST_F(PgForwardTest, ProjectReachesTheProjectorWithItsArguments) {
  // The global option before the command and the flags after it both arrive: the
  // projector (not the forwarder) reports the missing log under --data.
  const std::string data = dir_ + "/no-log-here";
  auto run = testing::RunCommand(std::string(ACCRUE_BINARY) + " --data " + data +
                                 " project --pg postgresql://127.0.0.1:1/none --once 2>&1");
  EXPECT_EQ(run.exit_code, 2) << run.out;
  EXPECT_NE(run.out.find("project_open_log_failed"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(data), std::string::npos) << run.out;
}

TEST_F(PgForwardTest, WithoutAccruePgBesideItTheCommandNamesTheMissingFile) {
  const std::filesystem::path lone = std::filesystem::path(dir_) / "accrue";
  std::filesystem::copy_file(ACCRUE_BINARY, lone);
  auto run = testing::RunCommand(lone.string() + " project --pg postgresql://127.0.0.1:1/none --once 2>&1");
  EXPECT_EQ(run.exit_code, 2) << run.out;
  EXPECT_NE(run.out.find("cannot run " + dir_ + "/accrue-pg"), std::string::npos) << run.out;
  // Every other command works without it.
  auto version = testing::RunCommand(lone.string() + " version");
  EXPECT_EQ(version.exit_code, 0) << version.out;
}

}  // namespace
}  // namespace accrue
