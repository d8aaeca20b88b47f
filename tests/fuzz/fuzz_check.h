// FUZZ_CHECK: a property of a libFuzzer target. A failed one prints the condition
// and aborts, which libFuzzer reports as a crash and keeps as an artifact.
#ifndef ACCRUE_TESTS_FUZZ_FUZZ_CHECK_H_
#define ACCRUE_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

#endif  // ACCRUE_TESTS_FUZZ_FUZZ_CHECK_H_
