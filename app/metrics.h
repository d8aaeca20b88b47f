// MetricsRegistry: a small Prometheus text-format registry (counters, gauges,
// histograms) served at GET /metrics (docs/api.md "Metrics").
//
// A metric family is a name, a help line, a type and a set of children keyed by
// their label values. Children are created on first use and live as long as the
// registry, so a reference returned by CounterFor/GaugeFor/HistogramFor stays valid
// and may be cached by the caller. Values are atomics: updating a child takes no
// lock; creating one takes the registry mutex.
//
// Invariants: one name has one type and one help text (asserted); histogram bucket
// bounds are strictly increasing; counters only go up.
//
// Thread-safety: every method may be called from any thread.
#ifndef ACCRUE_APP_METRICS_H_
#define ACCRUE_APP_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace accrue::app {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Observations are unsigned integers in the histogram's unit (microseconds for
// latencies, a plain count for sizes); `scale` divides them when rendered (1e6
// renders microseconds as Prometheus' base unit, seconds).
class Histogram {
 public:
  Histogram(std::vector<uint64_t> bounds, uint64_t scale);
  void Observe(uint64_t value);
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  void Render(const std::string& name, const std::string& labels, std::string* out) const;

 private:
  std::vector<uint64_t> bounds_;
  uint64_t scale_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // one per bound, plus +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_{0};
};

// Latency buckets in microseconds: 100 µs .. 10 s.
const std::vector<uint64_t>& LatencyBucketsUs();
// Size buckets (commands per batch, events per fsync): 1 .. 10,000.
const std::vector<uint64_t>& SizeBuckets();

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  Counter& CounterFor(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& GaugeFor(std::string_view name, std::string_view help, const Labels& labels = {});
  // `scale` as in Histogram (1'000'000 for microsecond latencies, 1 for sizes).
  Histogram& HistogramFor(std::string_view name, std::string_view help, const Labels& labels,
                          const std::vector<uint64_t>& bounds, uint64_t scale);

  // A collector appends complete Prometheus text (with # HELP / # TYPE lines) when
  // the registry renders; used for values owned elsewhere (the event store's queue).
  void AddCollector(std::function<void(std::string*)> collector);

  // The Prometheus text exposition format, version 0.0.4.
  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family {
    std::string help;
    Type type;
    std::map<std::string, std::unique_ptr<Counter>> counters;
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };
  Family& FamilyLocked(std::string_view name, std::string_view help, Type type);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
  std::vector<std::function<void(std::string*)>> collectors_;
};

// `{a="x",b="y"}` with Prometheus escaping, or "" for no labels.
std::string FormatLabels(const Labels& labels);

}  // namespace accrue::app

#endif  // ACCRUE_APP_METRICS_H_
