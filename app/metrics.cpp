#include "app/metrics.h"

#include <cinttypes>
#include <cstdio>

#include "events/assert.h"

namespace accrue::app {
namespace {

void AppendEscaped(std::string_view v, std::string* out) {
  for (char c : v) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '"') {
      *out += "\\\"";
    } else if (c == '\n') {
      *out += "\\n";
    } else {
      *out += c;
    }
  }
}

// Renders value / scale without binary floating point drift for integers.
std::string Scaled(uint64_t value, uint64_t scale) {
  if (scale == 1) return std::to_string(value);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", static_cast<double>(value) / static_cast<double>(scale));
  return buf;
}

// Inserts `le` into a rendered label set.
std::string WithLe(const std::string& labels, const std::string& le) {
  std::string item = "le=\"" + le + "\"";
  if (labels.empty()) return "{" + item + "}";
  return labels.substr(0, labels.size() - 1) + "," + item + "}";
}

const char* TypeName(int t) {
  switch (t) {
    case 0:
      return "counter";
    case 1:
      return "gauge";
    default:
      return "histogram";
  }
}

}  // namespace

std::string FormatLabels(const Labels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ',';
    out += labels[i].first;
    out += "=\"";
    AppendEscaped(labels[i].second, &out);
    out += '"';
  }
  out += '}';
  return out;
}

Histogram::Histogram(std::vector<uint64_t> bounds, uint64_t scale)
    : bounds_(std::move(bounds)), scale_(scale), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  ACCRUE_ASSERT(scale_ > 0, "histogram scale must be positive");
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    ACCRUE_ASSERT(i == 0 || bounds_[i - 1] < bounds_[i], "histogram bounds must increase");
  }
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(uint64_t value) {
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

void Histogram::Render(const std::string& name, const std::string& labels, std::string* out) const {
  uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    const std::string le = i < bounds_.size() ? Scaled(bounds_[i], scale_) : "+Inf";
    *out += name + "_bucket" + WithLe(labels, le) + " " + std::to_string(cumulative) + "\n";
  }
  *out += name + "_sum" + labels + " " + Scaled(sum_.load(std::memory_order_relaxed), scale_) + "\n";
  *out += name + "_count" + labels + " " + std::to_string(cumulative) + "\n";
}

const std::vector<uint64_t>& LatencyBucketsUs() {
  static const std::vector<uint64_t> kBuckets = {100,    250,    500,     1000,    2500,    5000,
                                                 10000,  25000,  50000,   100000,  250000,  500000,
                                                 1000000, 2500000, 5000000, 10000000};
  return kBuckets;
}

const std::vector<uint64_t>& SizeBuckets() {
  static const std::vector<uint64_t> kBuckets = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000};
  return kBuckets;
}

MetricsRegistry::Family& MetricsRegistry::FamilyLocked(std::string_view name, std::string_view help, Type type) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{std::string(help), type, {}, {}, {}}).first;
  }
  ACCRUE_ASSERT(it->second.type == type, "one metric name, one type");
  return it->second;
}

Counter& MetricsRegistry::CounterFor(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyLocked(name, help, Type::kCounter).counters[FormatLabels(labels)];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& MetricsRegistry::GaugeFor(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyLocked(name, help, Type::kGauge).gauges[FormatLabels(labels)];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& MetricsRegistry::HistogramFor(std::string_view name, std::string_view help, const Labels& labels,
                                         const std::vector<uint64_t>& bounds, uint64_t scale) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyLocked(name, help, Type::kHistogram).histograms[FormatLabels(labels)];
  if (!slot) slot = std::make_unique<Histogram>(bounds, scale);
  return *slot;
}

void MetricsRegistry::AddCollector(std::function<void(std::string*)> collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::string MetricsRegistry::Render() const {
  std::string out;
  std::vector<std::function<void(std::string*)>> collectors;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, family] : families_) {
      out += "# HELP " + name + " " + family.help + "\n";
      out += "# TYPE " + name + " " + TypeName(static_cast<int>(family.type)) + "\n";
      for (const auto& [labels, c] : family.counters) {
        out += name + labels + " " + std::to_string(c->Value()) + "\n";
      }
      for (const auto& [labels, g] : family.gauges) {
        out += name + labels + " " + std::to_string(g->Value()) + "\n";
      }
      for (const auto& [labels, h] : family.histograms) h->Render(name, labels, &out);
    }
    collectors = collectors_;
  }
  for (const auto& c : collectors) c(&out);
  return out;
}

}  // namespace accrue::app
