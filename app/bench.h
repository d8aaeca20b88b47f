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

// The p-th percentile (0..100) of latencies in microseconds; sorts in place.
uint64_t PercentileUs(std::vector<uint32_t>& latencies_us, unsigned p);

// Benchmarks.
int RunBenchAppend(const GlobalOptions& g, const std::vector<std::string>& args);  // bench_append.cpp
// Workload benchmarks and tools (issue 5; bench_gen/post/load/summary.cpp).
int RunBenchGen(const GlobalOptions& g, const std::vector<std::string>& args);
int RunBenchSummary(const GlobalOptions& g, const std::vector<std::string>& args);
int RunBenchPost(const GlobalOptions& g, const std::vector<std::string>& args);
int RunBenchLoad(const GlobalOptions& g, const std::vector<std::string>& args);
int RunBenchBillrun(const GlobalOptions& g, const std::vector<std::string>& args);  // bench_billrun.cpp
int RunBenchProject(const GlobalOptions& g, const std::vector<std::string>& args);  // bench_project.cpp

}  // namespace accrue::app

#endif  // ACCRUE_APP_BENCH_H_
