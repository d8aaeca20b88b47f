#include "events/store_stats.h"

namespace accrue::events {

template <std::size_t N>
HistogramCounts AtomicHistogram<N>::Snapshot() const {
  HistogramCounts out;
  out.bounds.assign(bounds_.begin(), bounds_.end());
  out.counts.reserve(N + 1);
  for (const auto& c : counts_) out.counts.push_back(c.load(std::memory_order_relaxed));
  out.count = count_.load(std::memory_order_relaxed);
  out.sum = sum_.load(std::memory_order_relaxed);
  return out;
}

template class AtomicHistogram<kBatchSizeBounds.size()>;
template class AtomicHistogram<kAppendLatencyBoundsUs.size()>;

void StoreStatsRecorder::RecordAppend(uint64_t latency_us, bool failed) {
  appends_.fetch_add(1, std::memory_order_relaxed);
  if (failed) appends_failed_.fetch_add(1, std::memory_order_relaxed);
  latency_us_.Observe(latency_us);
}

void StoreStatsRecorder::RecordBatch(uint64_t requests, uint64_t events, bool synced) {
  batches_.fetch_add(1, std::memory_order_relaxed);
  events_.fetch_add(events, std::memory_order_relaxed);
  if (synced) fsyncs_.fetch_add(1, std::memory_order_relaxed);
  batch_events_.Observe(events);
  batch_requests_.Observe(requests);
}

StoreStats StoreStatsRecorder::Snapshot() const {
  StoreStats s;
  s.available = true;
  s.queue_depth = queue_depth_.load(std::memory_order_relaxed);
  s.queue_depth_events = queue_depth_events_.load(std::memory_order_relaxed);
  s.appends_total = appends_.load(std::memory_order_relaxed);
  s.appends_failed_total = appends_failed_.load(std::memory_order_relaxed);
  s.events_total = events_.load(std::memory_order_relaxed);
  s.batches_total = batches_.load(std::memory_order_relaxed);
  s.fsyncs_total = fsyncs_.load(std::memory_order_relaxed);
  s.batch_events = batch_events_.Snapshot();
  s.batch_requests = batch_requests_.Snapshot();
  s.append_latency_us = latency_us_.Snapshot();
  return s;
}

}  // namespace accrue::events
