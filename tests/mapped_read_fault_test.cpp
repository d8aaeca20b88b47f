// app/mapped_read_fault.h: a read of a mapped file that fails (here: the file
// is truncated under its mapping, which makes the kernel deliver a real
// SIGBUS, as an EIO under a mapping does) ends the process with exit code 2 and
// the one-line explanation, not a silent signal death.
#include "app/mapped_read_fault.h"

#include <fcntl.h>
#include <signal.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace accrue::app {
namespace {

// Maps a page of a new file, truncates the file, reads the page: SIGBUS.
void ReadATruncatedMapping() {
  char path[] = "/tmp/accrue-sigbus-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) std::abort();
  unlink(path);
  const long page = sysconf(_SC_PAGESIZE);
  if (ftruncate(fd, page) != 0) std::abort();
  void* map = mmap(nullptr, static_cast<std::size_t>(page), PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) std::abort();
  if (ftruncate(fd, 0) != 0) std::abort();
  volatile const char* bytes = static_cast<const char*>(map);
  const char c = bytes[0];  // the kernel raises SIGBUS here
  (void)c;
  std::_Exit(0);  // not reached when the fault happens
}

TEST(MappedReadFaultDeathTest, ASigbusExitsWithCodeTwoAndSaysWhatHappened) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        InstallMappedReadFaultHandler();
        ReadATruncatedMapping();
      },
      ::testing::ExitedWithCode(2), "I/O error reading a mapped event log file \\(SIGBUS\\)");
}

TEST(MappedReadFaultDeathTest, WithoutTheHandlerTheSameReadIsASignalDeath) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        signal(SIGBUS, SIG_DFL);  // also under AddressSanitizer, which handles SIGBUS itself
        ReadATruncatedMapping();
      },
      ::testing::KilledBySignal(SIGBUS), "");
}

}  // namespace
}  // namespace accrue::app
