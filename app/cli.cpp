#include "app/cli.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "app/mapped_read_fault.h"
#include "engine/command.h"

namespace accrue::app {
namespace {

int NotYetAvailable(std::string_view name, std::string_view issue) {
  std::fprintf(stderr, "accrue: '%.*s' is not available in this build yet (%.*s)\n",
               static_cast<int>(name.size()), name.data(), static_cast<int>(issue.size()),
               issue.data());
  return kExitUsage;
}

// The subcommand table: contract.md's CLI, in its order.
const std::vector<Subcommand>& Table() {
  static const std::vector<Subcommand> table = {
      {"post", "post FILE|-", "apply commands (JSON lines); print one result line per command once durable",
       RunPost},
      {"inspect", "inspect account|plan ID", "print an account's or a plan's state as JSON, folded from the log",
       RunInspect},
      {"log", "log verify|stat|dump|backup",
       "check the event log's chain, print its statistics, dump events as JSON lines, or back it up", RunLog},
      {"serve", "serve --listen HOST:PORT --tokens FILE", "run the HTTP API",
       RunServe},
      {"tokens", "tokens add|list|revoke --tokens FILE ...", "manage API tokens (only their SHA-256 is stored)",
       RunTokens},
      {"project", "project --pg URL (--once|--follow|--rebuild)", "feed the Postgres read models from the log",
       RunProject},
      {"reconcile", "reconcile ...", "nightly reconciliation jobs",
       [](const GlobalOptions&, const std::vector<std::string>&) { return NotYetAvailable("reconcile", "a later issue"); }},
      {"cutover", "cutover ...", "shadow-traffic cutover from the legacy system",
       [](const GlobalOptions&, const std::vector<std::string>&) { return NotYetAvailable("cutover", "a later issue"); }},
      {"bench", "bench append|post|load|...", "benchmarks (figures with a baseline measured in the same run)",
       RunBench},
      {"version", "version [--json]", "version, git commit and dependency versions", RunVersion},
  };
  return table;
}

void PrintHelp(std::FILE* out) {
  std::fprintf(out,
               "accrue - an event-sourced billing engine\n\n"
               "Usage: accrue [GLOBAL OPTIONS] COMMAND [ARGS]\n\n"
               "Commands:\n");
  for (const auto& s : Table()) {
    std::fprintf(out, "  %-48s %s\n", s.synopsis.c_str(), s.summary.c_str());
  }
  std::fprintf(out,
               "\nGlobal options (before or after the command):\n"
               "  --data DIR              the event log directory (default ./accrue-data)\n"
               "  --tenant NAME           the tenant (default 'default')\n"
               "  --log-format text|json  log line format on stderr (default text)\n"
               "  -h, --help              this help\n\n"
               "Exit codes: 0 success, 1 the job found something (a rejected command,\n"
               "a discrepancy, a broken chain), 2 usage error or failure to run.\n"
               "Docs: docs/cli.md\n");
}

// Removes the global options from argv wherever they stand.
bool ExtractGlobals(std::vector<std::string>* args, GlobalOptions* g, std::string* error) {
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args->size(); ++i) {
    const std::string& a = (*args)[i];
    auto take = [&](std::string_view flag, std::string* out) -> int {
      if (a == flag) {
        if (i + 1 >= args->size()) {
          *error = std::string(flag) + " needs a value";
          return -1;
        }
        *out = (*args)[++i];
        return 1;
      }
      std::string prefix = std::string(flag) + "=";
      if (a.rfind(prefix, 0) == 0) {
        *out = a.substr(prefix.size());
        return 1;
      }
      return 0;
    };
    std::string log_format;
    int r = take("--data", &g->data_dir);
    if (r == 0) r = take("--tenant", &g->tenant);
    if (r == 0) {
      r = take("--log-format", &log_format);
      if (r == 1) {
        if (log_format == "text") {
          g->log_format = LogFormat::kText;
        } else if (log_format == "json") {
          g->log_format = LogFormat::kJson;
        } else {
          *error = "--log-format must be text or json, not '" + log_format + "'";
          return false;
        }
      }
    }
    if (r < 0) return false;
    if (r == 0) rest.push_back(a);
  }
  // Every command that takes a tenant (post, inspect, serve's tokens, ...) refuses
  // a name outside the id syntax (contract.md, D-9) as a usage error, not as
  // an account that is not found.
  if (!engine::IsValidId(g->tenant)) {
    *error = "--tenant must follow the id syntax ([A-Za-z0-9][A-Za-z0-9_.:-]{0,63}), not '" + g->tenant + "'";
    return false;
  }
  *args = std::move(rest);
  return true;
}

}  // namespace

int UsageError(std::string_view message) {
  std::fprintf(stderr, "accrue: %.*s\nRun 'accrue --help' for usage.\n",
               static_cast<int>(message.size()), message.data());
  return kExitUsage;
}

bool FlagParser::Parse(const std::vector<std::string>& args, std::vector<std::string>* positional,
                       std::string* error) const {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 2 || a[0] != '-' || a == "-") {
      positional->push_back(a);
      continue;
    }
    std::string name = a;
    std::optional<std::string> inline_value;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      inline_value = a.substr(eq + 1);
    }
    if (auto it = bools_.find(name); it != bools_.end() && !inline_value) {
      *it->second = true;
      continue;
    }
    auto it = values_.find(name);
    if (it == values_.end()) {
      *error = "unknown option '" + name + "'";
      return false;
    }
    if (inline_value) {
      *it->second = *inline_value;
    } else if (i + 1 < args.size()) {
      *it->second = args[++i];
    } else {
      *error = name + " needs a value";
      return false;
    }
  }
  return true;
}

bool ParseJsonFlagOnly(const std::vector<std::string>& args, std::string_view command, bool* json,
                       int* exit_code) {
  FlagParser flags;
  flags.Bool("--json", json);
  std::vector<std::string> positional;
  std::string error;
  if (!flags.Parse(args, &positional, &error)) {
    *exit_code = UsageError(error);
    return false;
  }
  if (!positional.empty()) {
    *exit_code = UsageError(std::string(command) + " takes no arguments");
    return false;
  }
  return true;
}

bool ParseUint64(std::string_view text, unsigned long long* out) {
  if (text.empty() || text.size() > 19) return false;
  unsigned long long v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  *out = v;
  return true;
}

namespace {
char** g_argv = nullptr;  // Main's argv, for a command that re-executes itself (pg_forward.cpp)
}  // namespace

char** MainArgv() { return g_argv; }

namespace {

bool g_stdin_closed = false;
bool g_stdout_closed = false;

// A standard descriptor the caller closed (`post - <&-`, `>&-`) would be handed
// to the next file opened, a RocksDB file among them, and results printed into
// it. Each closed one is opened on /dev/null first and remembered: commands whose
// output is their result (post, tokens add) refuse a closed stdout before doing
// anything; for the others the caller chose to discard what they print.
void GuardStandardDescriptors() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    const int opened = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (opened != fd && opened >= 0) ::close(opened);  // cannot happen: lowest free fd
    if (fd == 0) g_stdin_closed = true;
    if (fd == 1) g_stdout_closed = true;
  }
}

// After a command: what it printed must have reached stdout. A write that failed
// (a full disk, a closed pipe: SIGPIPE is ignored, so EPIPE) turns an exit 0 or 1
// into 2 with a message, so `accrue log verify > report` never "succeeds" with
// the report lost. (post checks its own results as it goes.)
int CheckStdout(int code) {
  errno = 0;
  const bool flushed = std::fflush(stdout) == 0;
  if (flushed && !std::ferror(stdout)) return code;
  if (code == kExitUsage) return code;  // already failed, and said why
  const int err = errno;
  std::fprintf(stderr, "accrue: cannot write to stdout: %s\n", err != 0 ? std::strerror(err) : "write error");
  return kExitUsage;
}

}  // namespace

bool StandardInputWasClosed() { return g_stdin_closed; }
bool StandardOutputWasClosed() { return g_stdout_closed; }

int Main(int argc, char** argv) {
  g_argv = argv;
  GuardStandardDescriptors();
  std::signal(SIGPIPE, SIG_IGN);    // a closed pipe is a write error (exit 2), not a kill
  InstallMappedReadFaultHandler();  // a failed read of a mapped log file: a clear exit 2
  std::vector<std::string> args(argv + 1, argv + argc);
  GlobalOptions globals;
  std::string error;
  if (!ExtractGlobals(&args, &globals, &error)) return UsageError(error);
  if (args.empty()) {
    PrintHelp(stderr);
    return kExitUsage;
  }
  std::string name = args.front();
  if (name == "help" && args.size() >= 2) {  // `help post` is `post --help`
    const std::string command = args[1];
    bool known = false;
    for (const auto& s : Table()) known = known || s.name == command;
    if (!known) return UsageError("no help for unknown command '" + command + "'");
    args = {command, "--help"};
    name = command;
  }
  if (name == "-h" || name == "--help" || name == "help") {
    PrintHelp(stdout);
    return CheckStdout(kExitOk);
  }
  for (const auto& s : Table()) {
    if (s.name == name) {
      std::vector<std::string> rest(args.begin() + 1, args.end());
      const std::string_view help = SubcommandHelp(name);
      for (const auto& a : rest) {
        if (!help.empty() && (a == "--help" || a == "-h")) {
          std::fwrite(help.data(), 1, help.size(), stdout);
          return CheckStdout(kExitOk);
        }
      }
      return CheckStdout(s.run(globals, rest));
    }
  }
  if (name.rfind("-", 0) == 0) return UsageError("unknown option '" + name + "'");
  return UsageError("unknown command '" + name + "'");
}

}  // namespace accrue::app
