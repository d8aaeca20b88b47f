// `accrue bench <name> ...`: dispatches to the benchmarks in BenchTable().
#include <algorithm>
#include <cstdio>

#include <sys/resource.h>

#include "app/bench.h"

namespace accrue::app {

const std::vector<BenchCommand>& BenchTable() {
  static const std::vector<BenchCommand> table = {
      {"append", "append [--seconds S] [--batch B] [--appenders A] [--quick] [--json]",
       "event log appends vs raw RocksDB WriteBatch (sync = true), batch 1/100/1000, 1/4/16 appenders",
       RunBenchAppend},
      {"gen", "gen [--profile P] [--accounts N] [--months M] [--seed S]",
       "print a deterministic workload (usage-heavy|mixed|demo) as command JSON lines", RunBenchGen},
      {"post", "post [--accounts N] [--runs R] [--quick] [--json]",
       "commands/s end to end (decode, decide, append, durable), usage-heavy and mixed, vs raw RocksDB batch-1000",
       RunBenchPost},
      {"load", "load [--events N] [--runs R] [--json]",
       "inspect and the first command after a restart for an account with 1,000,000 events (snapshots)",
       RunBenchLoad},
      {"billrun", "billrun [--accounts N] [--runs R] [--json]",
       "one tenant-wide run_billing over N accounts with one subscription each (invoices/s)", RunBenchBillrun},
      {"summary", "summary [--json]",
       "invoices issued, revenue by line kind, open receivables, invariants over the log", RunBenchSummary},
      {"project", "project --pg URL [--events N] [--log DIR] [--batch B] [--threads T] [--json]",
       "projector into Postgres (events/s, rows/s) vs raw COPY of the same rows in the same run",
       RunBenchProject},
  };
  return table;
}

bool ParseRepeatedBench(const std::vector<std::string>& args, const std::string& name,
                        const std::string& count_flag, unsigned long long default_count,
                        unsigned long long max_count, RepeatedBenchOptions* out, int* exit_code) {
  std::string count_text = std::to_string(default_count);
  std::string runs_text = std::to_string(out->runs);
  FlagParser flags;
  flags.Value(count_flag, &count_text);
  flags.Value("--runs", &runs_text);
  flags.Value("--dir", &out->scratch);
  flags.Bool("--json", &out->json);
  std::vector<std::string> positional;
  std::string error;
  if (!flags.Parse(args, &positional, &error)) {
    *exit_code = UsageError(error);
    return false;
  }
  if (!ParseUint64(count_text, &out->count) || out->count < 1 || out->count > max_count ||
      !ParseUint64(runs_text, &out->runs) || out->runs < 1 || out->runs > 99 || !positional.empty()) {
    *exit_code = UsageError("usage: bench " + name + " [" + count_flag + " N (1.." +
                            std::to_string(max_count) + ")] [--runs R (1..99)] [--dir SCRATCH] [--json]");
    return false;
  }
  return true;
}

uint64_t PercentileUs(std::vector<uint32_t>& latencies_us, unsigned p) {
  if (latencies_us.empty()) return 0;
  std::size_t rank = (latencies_us.size() - 1) * p / 100;
  std::nth_element(latencies_us.begin(), latencies_us.begin() + static_cast<long>(rank),
                   latencies_us.end());
  return latencies_us[rank];
}

double ProcessCpuSeconds() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

int RunBench(const GlobalOptions& g, const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::FILE* out = args.empty() ? stderr : stdout;
    std::fprintf(out, "Usage: accrue bench NAME [OPTIONS]\n\nBenchmarks:\n");
    for (const BenchCommand& b : BenchTable()) {
      std::fprintf(out, "  %-40s %s\n", b.synopsis.c_str(), b.summary.c_str());
    }
    return args.empty() ? kExitUsage : kExitOk;
  }
  for (const BenchCommand& b : BenchTable()) {
    if (b.name != args[0]) continue;
    for (std::size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "--help" || args[i] == "-h") {
        // gen prints a workload, not figures: no --json, no scratch data.
        const bool figures = b.name != "gen";
        std::printf("Usage: accrue bench %s\n\n%s.\n%s", b.synopsis.c_str(), b.summary.c_str(),
                    figures ? "Figures go to stdout (--json: one object a line); scratch data is removed "
                              "after the run.\n"
                            : "The commands go to stdout, one JSON object a line; the same options print "
                              "the same stream.\n");
        return kExitOk;
      }
    }
    return b.run(g, std::vector<std::string>(args.begin() + 1, args.end()));
  }
  return UsageError("unknown benchmark '" + args[0] + "'");
}

}  // namespace accrue::app
