// Flags shared by `accrue bench gen` and `accrue bench post` (bench/workload.h):
// --profile, --accounts, --months, --seed, --bill-runs yes|no, --key-prefix.
#ifndef ACCRUE_APP_BENCH_WORKLOAD_FLAGS_H_
#define ACCRUE_APP_BENCH_WORKLOAD_FLAGS_H_

#include <functional>
#include <string>
#include <vector>

#include "app/cli.h"
#include "bench/workload.h"

namespace accrue::app {

// Parses the workload flags into `o` (profile first resets the mix); `more` may
// register extra flags on the parser. False after printing a usage error, with
// *exit_code set.
bool ParseWorkloadFlags(const std::vector<std::string>& args, bench::WorkloadOptions* o,
                        std::vector<std::string>* positional, int* exit_code,
                        const std::function<void(FlagParser&)>& more);

}  // namespace accrue::app

#endif  // ACCRUE_APP_BENCH_WORKLOAD_FLAGS_H_
