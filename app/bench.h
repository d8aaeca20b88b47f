// `accrue bench <name>`: benchmarks that print figures with a baseline measured
// in the same run (budgets.md). Each benchmark is one function; cmd_bench.cpp
// holds the table. To add one (e.g. `bench post`): declare its Run function
// here, define it in app/bench_<name>.cpp (listed in app/app.cmake), and add a
// line to BenchTable() in app/cmd_bench.cpp.
//
// Helpers shared by benchmarks: latency percentiles and a wall-clock timer.
// Floating point is used only for printing rates and latencies (house rule).
#ifndef ACCRUE_APP_BENCH_H_
#define ACCRUE_APP_BENCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "app/cli.h"

namespace accrue::app {

struct BenchCommand {
  std::string name;     // "append"
  std::string synopsis; // "append [--seconds S] [--quick] [--json]"
  std::string summary;
  SubcommandFn run;     // gets the arguments after `bench <name>`
};

// The registered benchmarks, in help order (cmd_bench.cpp).
const std::vector<BenchCommand>& BenchTable();

// Options of a benchmark repeated over a workload of `count` items:
//   accrue bench NAME [COUNT_FLAG N] [--runs R] [--dir SCRATCH] [--json]
struct RepeatedBenchOptions {
  unsigned long long count = 0;
  unsigned long long runs = 3;
  std::string scratch = "/tmp";
  bool json = false;
};
// Parses `args` (count defaults to `default_count`, 1..max_count; runs 1..99).
// On bad input prints the usage error and returns false with *exit_code set.
bool ParseRepeatedBench(const std::vector<std::string>& args, const std::string& name,
                        const std::string& count_flag, unsigned long long default_count,
                        unsigned long long max_count, RepeatedBenchOptions* out, int* exit_code);

// The p-th percentile (0..100) of latencies in microseconds; sorts in place.
uint64_t PercentileUs(std::vector<uint32_t>& latencies_us, unsigned p);

// CPU seconds (user + system) of this process, all threads, so far: on a shared
// machine CPU per unit of work is steadier than a rate.
double ProcessCpuSeconds();

// Benchmarks.
int RunBenchAppend(const GlobalOptions& g, const std::vector<std::string>& args);  // bench_append.cpp
// Workload benchmarks and tools (issue 5; bench_gen/post/load/summary.cpp).
int RunBenchGen(const GlobalOptions& g, const std::vector<std::string>& args);
int RunBenchSummary(const GlobalOptions& g, const std::vector<std::string>& args);
int RunBenchPost(const GlobalOptions& g, const std::vector<std::string>& args);
int RunBenchLoad(const GlobalOptions& g, const std::vector<std::string>& args);
int RunBenchBillrun(const GlobalOptions& g, const std::vector<std::string>& args);  // bench_billrun.cpp
// bench_project.cpp in accrue-pg; in accrue, pg_forward.cpp runs accrue-pg instead.
int RunBenchProject(const GlobalOptions& g, const std::vector<std::string>& args);

}  // namespace accrue::app

#endif  // ACCRUE_APP_BENCH_H_
