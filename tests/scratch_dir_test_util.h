// A test fixture with a fresh scratch directory under /tmp (`dir_`), created
// before each test and removed after it, for tests that drive the real binary.
#ifndef ACCRUE_TESTS_SCRATCH_DIR_TEST_UTIL_H_
#define ACCRUE_TESTS_SCRATCH_DIR_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>

namespace accrue::testing {

class ScratchDirTest : public ::testing::Test {
 protected:
  // The directory is /tmp/<prefix>-XXXXXX.
  explicit ScratchDirTest(std::string prefix) : prefix_(std::move(prefix)) {}
  void SetUp() override {
    std::string tmpl = "/tmp/" + prefix_ + "-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string dir_;

 private:
  std::string prefix_;
};

}  // namespace accrue::testing

#endif  // ACCRUE_TESTS_SCRATCH_DIR_TEST_UTIL_H_
