// `accrue project` and `accrue bench project` in the `accrue` executable: they
// run the same command line as `accrue-pg`, the executable built beside
// `accrue` that links the PostgreSQL client (libpqxx, libpq, and the ~20
// libraries libpq loads: TLS, Kerberos, LDAP, SASL). Every other accrue process
// then starts without mapping and relocating them: ~8-10 ms less per process
// start on this machine, where `accrue inspect` has a 50 ms budget
// (docs/decisions/0010-postgres-commands-in-accrue-pg.md).
// execv replaces this process, so its id stays the same: a supervisor, or a
// test's kill -9, still holds the projector's pid. `accrue-pg` itself links the
// real RunProject/RunBenchProject (cmd_project.cpp, bench_project.cpp) instead
// of this file.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "app/bench.h"
#include "app/cli.h"
#include "events/assert.h"

namespace accrue::app {
namespace {

inline constexpr const char* kPgExecutable = "accrue-pg";

int RunInPgExecutable() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    std::fprintf(stderr, "accrue: cannot find its own executable to locate %s (/proc/self/exe: %s)\n",
                 kPgExecutable, ec.message().c_str());
    return kExitUsage;
  }
  const std::string sibling = (self.parent_path() / kPgExecutable).string();
  char** argv = MainArgv();
  ACCRUE_ASSERT(argv != nullptr && argv[0] != nullptr, "Postgres command run outside Main");
  std::vector<char*> args;
  args.push_back(const_cast<char*>(sibling.c_str()));
  for (char** a = argv + 1; *a != nullptr; ++a) args.push_back(*a);
  args.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  execv(sibling.c_str(), args.data());
  const int err = errno;  // execv returns only on failure
  std::fprintf(stderr,
               "accrue: cannot run %s (%s); the Postgres commands run in that executable, "
               "which 'make' builds beside accrue\n",
               sibling.c_str(), std::strerror(err));
  return kExitUsage;
}

}  // namespace

int RunProject(const GlobalOptions&, const std::vector<std::string>&) { return RunInPgExecutable(); }

int RunBenchProject(const GlobalOptions&, const std::vector<std::string>&) { return RunInPgExecutable(); }

}  // namespace accrue::app
