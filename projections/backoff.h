// Backoff: capped exponential delays with jitter for retrying an unreachable Postgres.
//
// Delay n (from 0) is uniform in [d/2, d] with d = min(max, initial * 2^n): the
// exponent spreads retries out, the cap bounds how late a recovery is noticed,
// and the jitter keeps several projectors from retrying in lock step.
//
// Thread-safety: none; one Backoff per retry loop.
#ifndef ACCRUE_PROJECTIONS_BACKOFF_H_
#define ACCRUE_PROJECTIONS_BACKOFF_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace accrue::projections {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
      : initial_(initial), max_(max), rng_(std::random_device{}()) {}

  // The next delay to sleep; each call doubles the ceiling up to max.
  std::chrono::milliseconds Next() {
    const int64_t ceiling = Ceiling();
    if (attempt_ < kMaxDoublings) ++attempt_;
    std::uniform_int_distribution<int64_t> jitter(ceiling / 2, ceiling);
    return std::chrono::milliseconds(jitter(rng_));
  }
  // The ceiling of the next delay (for tests and logs).
  int64_t Ceiling() const {
    const int64_t grown = initial_.count() << std::min(attempt_, kMaxDoublings);
    return std::min<int64_t>(grown, max_.count());
  }
  void Reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  static constexpr int kMaxDoublings = 20;  // keeps the shift far from overflow
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  int attempt_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace accrue::projections

#endif  // ACCRUE_PROJECTIONS_BACKOFF_H_
