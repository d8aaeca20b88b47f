// Store metrics: exports an EventStore's append-path counters (events/store_stats.h)
// in Prometheus text format through MetricsRegistry::AddCollector, so /metrics
// shows the append queue depth, fsyncs, batch sizes and append latency
// (docs/api.md "Metrics", issue 7 deliverable 5).
//
// Thread-safety: the collector calls EventStore::Stats(), which any thread may call.
#ifndef ACCRUE_APP_STORE_METRICS_H_
#define ACCRUE_APP_STORE_METRICS_H_

#include <memory>
#include <mutex>
#include <string>

#include "app/metrics.h"
#include "events/event_store.h"

namespace accrue::app {

// Appends the store families (# HELP / # TYPE lines included) for `stats`:
// accrue_log_append_queue_depth, accrue_log_append_queue_events (gauges),
// accrue_log_appends_total, accrue_log_appends_failed_total,
// accrue_log_events_total, accrue_log_batches_total, accrue_log_fsyncs_total
// (counters), accrue_log_batch_events, accrue_log_batch_appends and
// accrue_log_append_latency_seconds (histograms). Nothing when !stats.available.
void RenderStoreStats(const events::StoreStats& stats, std::string* out);

// The store a collector reads, detachable: /metrics may still be rendering while
// the store closes, so the owner calls Detach() before destroying the store and
// the collector renders nothing from then on.
class StoreStatsSource {
 public:
  explicit StoreStatsSource(const events::EventStore* store) : store_(store) {}
  void Detach();
  void Render(std::string* out) const;

 private:
  mutable std::mutex mu_;
  const events::EventStore* store_;  // guarded by mu_; null once detached
};

// Registers a collector rendering `store`'s stats; call Detach() on the result
// before the store is destroyed.
std::shared_ptr<StoreStatsSource> AddStoreCollector(MetricsRegistry* registry,
                                                    const events::EventStore* store);

}  // namespace accrue::app

#endif  // ACCRUE_APP_STORE_METRICS_H_
