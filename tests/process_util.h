// Running a child command from a test and capturing its stdout.
//
// Cross-module tests drive the real `accrue` binary (post, inspect, log verify) the
// way users do; this is the one helper they share for that.
#ifndef ACCRUE_TESTS_PROCESS_UTIL_H_
#define ACCRUE_TESTS_PROCESS_UTIL_H_

#include <string>

namespace accrue::testing {

struct ProcessRun {
  int exit_code = -1;  // -1 when the command could not start or died from a signal
  std::string out;     // everything it wrote to stdout
};

// Runs `shell_command` through /bin/sh to completion.
ProcessRun RunCommand(const std::string& shell_command);

}  // namespace accrue::testing

#endif  // ACCRUE_TESTS_PROCESS_UTIL_H_
