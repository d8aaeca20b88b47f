#include "tests/process_util.h"

#include <sys/wait.h>

#include <cstdio>

namespace accrue::testing {

ProcessRun RunCommand(const std::string& shell_command) {
  ProcessRun r;
  std::FILE* p = ::popen(shell_command.c_str(), "r");
  if (p == nullptr) return r;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace accrue::testing
