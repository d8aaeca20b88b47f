// StoreStats: counters an EventStore keeps about its append path, for
// monitoring (`accrue serve` exports them on /metrics, docs/api.md "Metrics").
//
// Everything is an unsigned integer: totals only go up; histograms are plain
// per-bucket counts (not cumulative) over fixed bounds; durations are in
// microseconds. No floating point in events/.
//
// StoreStatsRecorder is what a store embeds to keep them: every Record* call is
// a handful of relaxed atomic increments (no lock, safe on the writer's hot
// path). Snapshot() reads the atomics one by one, so a snapshot taken during an
// append may be off by that append between fields (fine for monitoring; each
// field on its own is monotonic).
//
// Thread-safety: every method may be called from any thread concurrently.
#ifndef ACCRUE_EVENTS_STORE_STATS_H_
#define ACCRUE_EVENTS_STORE_STATS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace accrue::events {

// A histogram snapshot: counts[i] observations <= bounds[i] (and > bounds[i-1]);
// counts.back() (one more than bounds) holds those above the last bound.
struct HistogramCounts {
  std::vector<uint64_t> bounds;  // strictly increasing
  std::vector<uint64_t> counts;  // bounds.size() + 1 entries
  uint64_t count = 0;            // observations
  uint64_t sum = 0;              // sum of the observed values
};

struct StoreStats {
  bool available = false;            // false: the store keeps no stats (all zero)
  uint64_t queue_depth = 0;          // append requests waiting for the writer now
  uint64_t queue_depth_events = 0;   // events in them
  uint64_t appends_total = 0;        // append requests completed (any outcome)
  uint64_t appends_failed_total = 0; // of them, kFailed (queue full, disk, shut down)
  uint64_t events_total = 0;         // events made durable
  uint64_t batches_total = 0;        // group commits written (one WriteBatch each)
  uint64_t fsyncs_total = 0;         // synced writes (sync = true); 0 for the memory store
  HistogramCounts batch_events;      // events per written batch
  HistogramCounts batch_requests;    // append requests per group commit
  HistogramCounts append_latency_us; // submit to completion, microseconds
};

// Bounds of StoreStats::batch_events / batch_requests: 1 .. kMaxGroupCommitEvents.
inline constexpr std::array<uint64_t, 14> kBatchSizeBounds = {
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 65536};
// Bounds of StoreStats::append_latency_us: 100 µs .. 10 s.
inline constexpr std::array<uint64_t, 16> kAppendLatencyBoundsUs = {
    100,    250,    500,     1000,    2500,    5000,    10000,   25000,
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

// Lock-free fixed-bound histogram of unsigned values.
template <std::size_t N>
class AtomicHistogram {
 public:
  explicit constexpr AtomicHistogram(const std::array<uint64_t, N>& bounds) : bounds_(bounds) {}
  void Observe(uint64_t value) {
    std::size_t i = 0;
    while (i < N && value > bounds_[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
  }
  HistogramCounts Snapshot() const;

 private:
  const std::array<uint64_t, N>& bounds_;
  std::array<std::atomic<uint64_t>, N + 1> counts_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_{0};
};

class StoreStatsRecorder {
 public:
  // One append request completed after `latency_us`; `failed` when kFailed.
  void RecordAppend(uint64_t latency_us, bool failed);
  // One group commit of `requests` requests wrote `events` events; `synced`
  // when the write was made with sync = true (and succeeded).
  void RecordBatch(uint64_t requests, uint64_t events, bool synced);
  // The queue depth now (the writer updates it under its queue lock).
  void SetQueueDepth(uint64_t requests, uint64_t events) {
    queue_depth_.store(requests, std::memory_order_relaxed);
    queue_depth_events_.store(events, std::memory_order_relaxed);
  }
  StoreStats Snapshot() const;

 private:
  std::atomic<uint64_t> queue_depth_{0};
  std::atomic<uint64_t> queue_depth_events_{0};
  std::atomic<uint64_t> appends_{0};
  std::atomic<uint64_t> appends_failed_{0};
  std::atomic<uint64_t> events_{0};
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> fsyncs_{0};
  AtomicHistogram<kBatchSizeBounds.size()> batch_events_{kBatchSizeBounds};
  AtomicHistogram<kBatchSizeBounds.size()> batch_requests_{kBatchSizeBounds};
  AtomicHistogram<kAppendLatencyBoundsUs.size()> latency_us_{kAppendLatencyBoundsUs};
};

}  // namespace accrue::events

#endif  // ACCRUE_EVENTS_STORE_STATS_H_
