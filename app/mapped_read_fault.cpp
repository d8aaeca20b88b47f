#include "app/mapped_read_fault.h"

#include <signal.h>
#include <unistd.h>

#include <cstring>

#include "app/cli.h"

namespace accrue::app {
namespace {

void OnSigbus(int) {
  // Async-signal-safe only: no stdio, no allocation, no locks.
  const ssize_t ignored = write(STDERR_FILENO, kMappedReadFaultMessage, sizeof kMappedReadFaultMessage - 1);
  (void)ignored;
  _exit(kExitUsage);
}

}  // namespace

void InstallMappedReadFaultHandler() {
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_handler = OnSigbus;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, nullptr);
}

}  // namespace accrue::app
