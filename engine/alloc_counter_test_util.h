// A counting replacement of the global operator new, for the binaries that prove
// the money hot paths never touch the heap (engine/decimal_alloc_test.cpp,
// bench/money_bench.cpp). Include it in exactly ONE source file of a binary: it
// defines the replacement operators (a program may replace them once).
//
// AllocationsDuring(f) runs f and returns how many operator new calls it made.
// Thread-safety: the counter is atomic; counts from other threads are included.
#ifndef ACCRUE_ENGINE_ALLOC_COUNTER_TEST_UTIL_H_
#define ACCRUE_ENGINE_ALLOC_COUNTER_TEST_UTIL_H_

#include <atomic>
#include <cstdlib>
#include <new>

// GCC 12 inlines the replaced operators into static initialisers and then flags
// malloc/free pairing as a new/delete mismatch; the pairing here is correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace accrue::testing {
inline std::atomic<long> g_allocations{0};

template <typename F>
long AllocationsDuring(F&& f) {
  const long before = g_allocations.load();
  f();
  return g_allocations.load() - before;
}
}  // namespace accrue::testing

void* operator new(std::size_t size) {
  accrue::testing::g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

#endif  // ACCRUE_ENGINE_ALLOC_COUNTER_TEST_UTIL_H_
