// `accrue bench gen`: prints a deterministic workload (bench/workload.h) as JSON
// lines on stdout, for `make demo`, `bench post` and other tools.
//
//   accrue bench gen [--profile usage-heavy|mixed|demo] [--accounts N] [--months M]
//                    [--seed S] [--bill-runs yes|no] [--key-prefix P]
// A one-line summary (command counts) goes to stderr.
#include <cstdio>
#include <string>

#include "app/bench.h"
#include "app/bench_workload_flags.h"
#include "bench/workload.h"

namespace accrue::app {

// Parses the workload flags shared by gen and post; false after printing a usage error.
bool ParseWorkloadFlags(const std::vector<std::string>& args, bench::WorkloadOptions* o,
                        std::vector<std::string>* positional, int* exit_code,
                        const std::function<void(FlagParser&)>& more) {
  std::string profile = std::string(bench::ProfileName(o->profile)), accounts, months, seed, bill_runs;
  FlagParser p;
  p.Value("--profile", &profile);
  p.Value("--accounts", &accounts);
  p.Value("--months", &months);
  p.Value("--seed", &seed);
  p.Value("--bill-runs", &bill_runs);
  p.Value("--key-prefix", &o->key_prefix);
  if (more) more(p);
  std::string error;
  if (!p.Parse(args, positional, &error)) {
    *exit_code = UsageError(error);
    return false;
  }
  auto parsed = bench::ParseProfile(profile);
  if (!parsed) {
    *exit_code = UsageError("--profile must be usage-heavy, mixed or demo, not '" + profile + "'");
    return false;
  }
  o->profile = *parsed;
  o->mix = bench::MixFor(*parsed);
  unsigned long long v = 0;
  auto number = [&](const std::string& text, const char* flag, unsigned long long max, auto assign) {
    if (text.empty()) return true;
    if (!ParseUint64(text, &v) || v < 1 || v > max) {
      *exit_code = UsageError(std::string(flag) + " must be an integer from 1 to " + std::to_string(max));
      return false;
    }
    assign(v);
    return true;
  };
  if (!number(accounts, "--accounts", bench::kMaxWorkloadAccounts, [&](auto x) { o->accounts = static_cast<int>(x); }) ||
      !number(months, "--months", bench::kMaxWorkloadMonths, [&](auto x) { o->months = static_cast<int>(x); }) ||
      !number(seed, "--seed", ~0ull >> 1, [&](auto x) { o->seed = x; })) {
    return false;
  }
  if (!bill_runs.empty()) {
    if (bill_runs != "yes" && bill_runs != "no") {
      *exit_code = UsageError("--bill-runs must be yes or no");
      return false;
    }
    o->mix.bill_runs = bill_runs == "yes";
  }
  return true;
}

int RunBenchGen(const GlobalOptions&, const std::vector<std::string>& args) {
  bench::WorkloadOptions o;
  std::vector<std::string> positional;
  int exit_code = kExitOk;
  if (!ParseWorkloadFlags(args, &o, &positional, &exit_code, nullptr)) return exit_code;
  if (!positional.empty()) return UsageError("bench gen takes no positional arguments");
  bench::WorkloadStats stats;
  std::string buffer;
  bool ok = bench::GenerateWorkload(
      o,
      [&](std::string_view line) {
        buffer.append(line);
        buffer.push_back('\n');
        if (buffer.size() >= (1u << 16)) {
          std::fwrite(buffer.data(), 1, buffer.size(), stdout);
          buffer.clear();
        }
      },
      &stats);
  if (!ok) return UsageError("workload options out of range");
  std::fwrite(buffer.data(), 1, buffer.size(), stdout);
  if (std::fflush(stdout) != 0) {
    std::fprintf(stderr, "accrue: bench gen: writing stdout failed\n");
    return kExitUsage;
  }
  std::fprintf(stderr, "accrue bench gen: profile %s, %d accounts, %d months, seed %llu: %llu commands",
               std::string(bench::ProfileName(o.profile)).c_str(), o.accounts, o.months,
               static_cast<unsigned long long>(o.seed), static_cast<unsigned long long>(stats.total));
  for (const auto& [name, count] : stats.by_command) {
    std::fprintf(stderr, ", %s %llu", name.c_str(), static_cast<unsigned long long>(count));
  }
  std::fprintf(stderr, "\n");
  return kExitOk;
}

}  // namespace accrue::app
