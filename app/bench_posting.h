// InFlightPoster: submits commands to a CommandService keeping at most `window`
// in flight (so the group commit batches them) and remembers the first one that
// was not accepted. Used by the benchmarks that build a workload before timing
// something else (bench load, bench billrun).
//
// Thread-safety: one thread per poster.
#ifndef ACCRUE_APP_BENCH_POSTING_H_
#define ACCRUE_APP_BENCH_POSTING_H_

#include <cstddef>
#include <deque>
#include "events/future.h"
#include <string>
#include <string_view>

#include "engine/service.h"

namespace accrue::app {

class InFlightPoster {
 public:
  InFlightPoster(engine::CommandService& service, std::string tenant, std::size_t window)
      : service_(service), tenant_(std::move(tenant)), window_(window) {}

  // Submits `line`; waits for the oldest command first while the window is full.
  void Post(std::string_view line) {
    in_flight_.push_back(service_.Submit(tenant_, line, std::nullopt));
    while (in_flight_.size() >= window_) Settle();
  }
  // Waits for every command; true when all were accepted, else the first other
  // result is in *error.
  bool Finish(std::string* error) {
    while (!in_flight_.empty()) Settle();
    if (!ok_) *error = first_failure_;
    return ok_;
  }
  bool ok() const { return ok_; }

 private:
  void Settle() {
    engine::CommandOutcome o = in_flight_.front().get();
    in_flight_.pop_front();
    if (o.status != engine::OutcomeStatus::kAccepted && ok_) {
      ok_ = false;
      first_failure_ = std::move(o.result_json);
    }
  }

  engine::CommandService& service_;
  const std::string tenant_;
  const std::size_t window_;
  std::deque<events::Future<engine::CommandOutcome>> in_flight_;
  bool ok_ = true;
  std::string first_failure_;
};

}  // namespace accrue::app

#endif  // ACCRUE_APP_BENCH_POSTING_H_
