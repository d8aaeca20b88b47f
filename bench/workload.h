// Workload: a deterministic generator of contract command lines (contract.md
// "Commands") for benchmarks, `make demo` and other tools.
//
// Given (seed, accounts, months, profile) it produces the same lines, byte for
// byte, on every machine: plans in several currencies, accounts in several
// currencies and time zones, subscriptions, changes, cancellations, usage (late
// usage included), monthly bill runs, payments, a few credit notes, refunds and
// payment reversals. Every command is valid by construction: posted in order into
// a fresh log, every one is accepted (the property tests cover rejections).
//
// How validity is kept without a billing model: commands of one account are
// emitted in time order within a month; changes and cancellations come only
// after the account's first bill run (so invoice 1 is a whole-period charge of at
// least one major unit, which the credit notes rely on); usage keeps two days away
// from a change or cancellation of its subscription (the plan in force on the
// local date of `at` is then unambiguous in every zone, D-26); refunds follow a
// prepayment made before any invoice exists (so the credit covers them, R-P3).
//
// Order of lines: publish_plan lines first; then month by month, each account's
// commands of that month (accounts in index order), then that month's
// run_billing at 00:00:00Z of the next month's first day (when the profile bills).
//
// Thread-safety: GenerateWorkload is reentrant; it keeps all state locally.
#ifndef ACCRUE_BENCH_WORKLOAD_H_
#define ACCRUE_BENCH_WORKLOAD_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace accrue::bench {

enum class Profile {
  kUsageHeavy,  // budgets.md `bench post` usage-heavy: metered plans, mostly record_usage
  kMixed,       // budgets.md `bench post` mixed: the demo's commands without bill runs
  kDemo,        // `make demo`: the mixed commands plus monthly bill runs and credit notes
};

std::optional<Profile> ParseProfile(std::string_view name);  // "usage-heavy", "mixed", "demo"
std::string_view ProfileName(Profile profile);

// Rates of the generator, per mille unless said otherwise.
struct WorkloadMix {
  int usage_per_month = 6;            // mean usage records per metered subscription and month
  int late_usage_permille = 50;       // of usage records, dated in the previous month
  int second_subscription_permille = 250;  // accounts with a second subscription
  int annual_plan_permille = 100;     // subscriptions on the yearly plan
  int metered_plan_permille = 700;    // subscriptions on a plan with meters
  int change_permille = 80;           // per subscription and month (after the first bill run)
  int cancel_permille = 20;           // per subscription and month (after the first bill run)
  int immediate_cancel_permille = 400;  // of cancellations
  int payment_permille = 850;         // per account and month after its first month
  int reversal_permille = 20;         // of monthly payments
  int prepay_refund_permille = 50;    // accounts that prepay at opening and get part refunded
  int credit_note_permille = 20;      // accounts that get one credit note on invoice 1 (bill runs only)
  bool bill_runs = false;             // monthly run_billing (tenant-wide)
};

WorkloadMix MixFor(Profile profile);

struct WorkloadOptions {
  uint64_t seed = 1;
  int accounts = 100;       // >= 1
  int months = 12;          // >= 1
  Profile profile = Profile::kDemo;
  WorkloadMix mix = MixFor(Profile::kDemo);
  int start_year = 2024;    // the first month is start_year-start_month
  unsigned start_month = 1;
  std::string key_prefix = "w";  // idempotency keys are "<prefix>-<n>"
};

// Limits (named, checked by GenerateWorkload): the account numbering width and
// the generator's horizon.
inline constexpr int kMaxWorkloadAccounts = 9'999'999;
inline constexpr int kMaxWorkloadMonths = 1200;

// Counts by command name ("record_usage" -> 412000), and the total.
struct WorkloadStats {
  std::map<std::string, uint64_t> by_command;
  uint64_t total = 0;
};

// Calls `emit` with each command line (one JSON object, no newline) in order.
// Returns false (emitting nothing) when the options are out of range.
bool GenerateWorkload(const WorkloadOptions& options, const std::function<void(std::string_view line)>& emit,
                      WorkloadStats* stats);

}  // namespace accrue::bench

#endif  // ACCRUE_BENCH_WORKLOAD_H_
