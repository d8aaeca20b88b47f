#include "app/store_metrics.h"

#include <cstdint>

namespace accrue::app {
namespace {

constexpr uint64_t kMicrosPerSecond = 1'000'000;

// Microseconds as decimal seconds, exactly (integer arithmetic): 2500 -> "0.0025".
std::string MicrosAsSeconds(uint64_t us) {
  std::string frac = std::to_string(us % kMicrosPerSecond);
  frac.insert(0, 6 - frac.size(), '0');
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  std::string out = std::to_string(us / kMicrosPerSecond);
  if (!frac.empty()) out += "." + frac;
  return out;
}

void Header(const char* name, const char* type, const char* help, std::string* out) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  *out += ' ';
  *out += type;
  *out += '\n';
}

void Scalar(const char* name, const char* type, const char* help, uint64_t value,
            std::string* out) {
  Header(name, type, help, out);
  *out += name;
  *out += ' ';
  *out += std::to_string(value);
  *out += '\n';
}

// Cumulative buckets as Prometheus wants them; `in_seconds` renders bounds and
// the sum (microseconds) as seconds.
void Histo(const char* name, const char* help, const events::HistogramCounts& h,
           bool in_seconds, std::string* out) {
  Header(name, "histogram", help, out);
  auto format = [&](uint64_t v) { return in_seconds ? MicrosAsSeconds(v) : std::to_string(v); };
  uint64_t cumulative = 0;
  for (std::size_t i = 0; i < h.counts.size(); ++i) {
    cumulative += h.counts[i];
    std::string le = i < h.bounds.size() ? format(h.bounds[i]) : "+Inf";
    *out += std::string(name) + "_bucket{le=\"" + le + "\"} " + std::to_string(cumulative) + "\n";
  }
  *out += std::string(name) + "_sum " + format(h.sum) + "\n";
  // The count is the +Inf bucket, so the two always agree in one scrape.
  *out += std::string(name) + "_count " + std::to_string(cumulative) + "\n";
}

}  // namespace

void RenderStoreStats(const events::StoreStats& s, std::string* out) {
  if (!s.available) return;
  Scalar("accrue_log_append_queue_depth", "gauge",
         "Append requests waiting for the event log's writer thread", s.queue_depth, out);
  Scalar("accrue_log_append_queue_events", "gauge",
         "Events in the append requests waiting for the writer thread", s.queue_depth_events, out);
  Scalar("accrue_log_appends_total", "counter",
         "Append requests completed by the event log (any outcome)", s.appends_total, out);
  Scalar("accrue_log_appends_failed_total", "counter",
         "Append requests that failed (queue full, disk full, I/O error, shutting down)",
         s.appends_failed_total, out);
  Scalar("accrue_log_events_total", "counter", "Events made durable in the event log",
         s.events_total, out);
  Scalar("accrue_log_batches_total", "counter",
         "Group commits written (one RocksDB WriteBatch each)", s.batches_total, out);
  Scalar("accrue_log_fsyncs_total", "counter", "Synced writes (WriteOptions.sync = true)",
         s.fsyncs_total, out);
  Histo("accrue_log_batch_events", "Events per group commit (per fsync)", s.batch_events,
        /*in_seconds=*/false, out);
  Histo("accrue_log_batch_appends", "Append requests per group commit", s.batch_requests,
        /*in_seconds=*/false, out);
  Histo("accrue_log_append_latency_seconds",
        "Append submit to durable completion, in the event log", s.append_latency_us,
        /*in_seconds=*/true, out);
}

void StoreStatsSource::Detach() {
  std::lock_guard<std::mutex> lock(mu_);
  store_ = nullptr;
}

void StoreStatsSource::Render(std::string* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (store_ != nullptr) RenderStoreStats(store_->Stats(), out);
}

std::shared_ptr<StoreStatsSource> AddStoreCollector(MetricsRegistry* registry,
                                                    const events::EventStore* store) {
  auto source = std::make_shared<StoreStatsSource>(store);
  registry->AddCollector([source](std::string* out) { source->Render(out); });
  return source;
}

}  // namespace accrue::app
