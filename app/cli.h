// The `accrue` command line: global options, the subcommand table, a small flag
// parser, and the exit-code convention of contract.md:
//   0 success; 1 the job found something (a rejected command in `post`, a
//   discrepancy, a broken chain); 2 usage error or failure to run.
//
// Global options are accepted before or after the subcommand:
//   --data DIR (default ./accrue-data), --tenant NAME (default "default"),
//   --log-format text|json.
#ifndef ACCRUE_APP_CLI_H_
#define ACCRUE_APP_CLI_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accrue::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFound = 1;
inline constexpr int kExitUsage = 2;

enum class LogFormat { kText, kJson };

struct GlobalOptions {
  std::string data_dir = "./accrue-data";
  std::string tenant = "default";
  LogFormat log_format = LogFormat::kText;
};

// A subcommand's entry point: args are what follows the subcommand name, with the
// global options already removed.
using SubcommandFn = std::function<int(const GlobalOptions&, const std::vector<std::string>&)>;

struct Subcommand {
  std::string name;     // "post", "log verify" is "log" with its own sub-dispatch
  std::string synopsis; // "post FILE|-"
  std::string summary;  // one line for --help
  SubcommandFn run;
};

// Prints "accrue: <message>" and "Run 'accrue --help' for usage." to stderr; returns 2.
int UsageError(std::string_view message);

// Parses --flag VALUE / --flag=VALUE / boolean --flag and positionals.
// Unknown flags are errors. Usage:
//   FlagParser p; p.Value("--from", &from); p.Bool("--json", &json);
//   if (!p.Parse(args, &positional, &error)) return UsageError(error);
class FlagParser {
 public:
  void Value(std::string name, std::string* out) { values_[std::move(name)] = out; }
  void Bool(std::string name, bool* out) { bools_[std::move(name)] = out; }
  bool Parse(const std::vector<std::string>& args, std::vector<std::string>* positional,
             std::string* error) const;

 private:
  std::map<std::string, std::string*> values_;
  std::map<std::string, bool*> bools_;
};

// For commands whose only option is --json and that take no arguments: parses
// `args` into *json; on bad input prints the usage error ("<command> takes no
// arguments") and returns false with *exit_code set.
bool ParseJsonFlagOnly(const std::vector<std::string>& args, std::string_view command, bool* json,
                       int* exit_code);

// Parses an unsigned decimal flag value; false on garbage.
bool ParseUint64(std::string_view text, unsigned long long* out);

// The detailed `accrue COMMAND --help` text, or empty when the command has its own.
std::string_view SubcommandHelp(std::string_view name);

// Entry point used by main().
int Main(int argc, char** argv);
// True when the process started with its stdin closed (Main opened /dev/null on it).
bool StandardInputWasClosed();
bool StandardOutputWasClosed();

// Subcommands, defined in cmd_*.cpp files.
int RunVersion(const GlobalOptions& g, const std::vector<std::string>& args);
int RunPost(const GlobalOptions& g, const std::vector<std::string>& args);     // cmd_post.cpp
int RunInspect(const GlobalOptions& g, const std::vector<std::string>& args);  // cmd_inspect.cpp
int RunLog(const GlobalOptions& g, const std::vector<std::string>& args);    // cmd_log.cpp
int RunBench(const GlobalOptions& g, const std::vector<std::string>& args);  // cmd_bench.cpp
int RunTokens(const GlobalOptions& g, const std::vector<std::string>& args);  // cmd_tokens.cpp
int RunServe(const GlobalOptions& g, const std::vector<std::string>& args);   // cmd_serve.cpp
// cmd_project.cpp in accrue-pg; in accrue, pg_forward.cpp runs accrue-pg instead.
int RunProject(const GlobalOptions& g, const std::vector<std::string>& args);
// The argv Main was called with (null before Main).
char** MainArgv();

}  // namespace accrue::app

#endif  // ACCRUE_APP_CLI_H_
