// ACCRUE_ASSERT: checks for programmer errors, on in every build (release too).
//
// Use it for invariants that only a bug can break (a money total that does not
// balance, an envelope whose position is not the next one). Never for bad input:
// input errors are Rejections or Statuses. On failure it prints the condition,
// file, line and message to stderr and aborts, so a crash dump points at the bug.
#ifndef ACCRUE_EVENTS_ASSERT_H_
#define ACCRUE_EVENTS_ASSERT_H_

namespace accrue::internal {
[[noreturn]] void AssertFail(const char* cond, const char* file, int line, const char* msg);
}  // namespace accrue::internal

#define ACCRUE_ASSERT(cond, msg)                                            \
  do {                                                                      \
    if (__builtin_expect(!(cond), 0)) {                                     \
      ::accrue::internal::AssertFail(#cond, __FILE__, __LINE__, (msg));     \
    }                                                                       \
  } while (0)

#endif  // ACCRUE_EVENTS_ASSERT_H_
