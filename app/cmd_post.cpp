// `accrue post FILE|-` (contract.md): applies commands, one JSON object a line,
// and prints one result line per command, in input order, each once durable.
//
// Several commands are in flight at once (kMaxPostInFlight) so the log's group
// commit can batch their fsyncs; results still print strictly in input order.
// Input is streamed: memory stays bounded by kMaxPostInFlight lines of at most
// kMaxJsonLineBytes each, whatever the file's size. Blank lines are skipped (D-7);
// CRLF is accepted. A line over 1 MiB is rejected as invalid_json without being
// kept. A `failed` result (`unavailable`) stops post with exit 2; running the
// same file again carries on exactly once (the idempotency keys replay).
// Exit: 0 all accepted, 1 any rejected, 2 failure or usage.
//
// A long post reports on stderr: a `post_progress` line every kPostProgressInterval
// (`--progress SECONDS` sets it; 0 reports after every kMaxPostInFlight results)
// with results printed, accepted, rejected, replayed and commands/s, and a
// `post_done` line at the end. A post that finishes within the interval prints
// nothing there, so short runs and scripts keep a quiet stderr.
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>

#include "events/future.h"

#include "app/cli.h"
#include "app/logging.h"
#include "engine/command.h"
#include "engine/json.h"
#include "engine/result_json.h"
#include "engine/service.h"
#include "events/rocks_event_store.h"

namespace accrue::app {
namespace {

constexpr std::size_t kMaxPostInFlight = 512;  // commands submitted, not yet printed
constexpr std::size_t kReadBufferBytes = 1 << 16;
constexpr std::chrono::seconds kPostProgressInterval{5};
constexpr unsigned long long kMaxPostProgressSeconds = 86400;

// What post has printed so far, for the progress and summary lines.
struct PostCounts {
  int64_t results = 0;
  int64_t accepted = 0;
  int64_t rejected = 0;
  int64_t replayed = 0;
  int64_t failed = 0;

  void Count(const engine::CommandOutcome& o) {
    ++results;
    if (o.status == engine::OutcomeStatus::kAccepted) ++accepted;
    if (o.status == engine::OutcomeStatus::kRejected) ++rejected;
    if (o.status == engine::OutcomeStatus::kFailed) ++failed;
    if (o.replayed) ++replayed;
  }

  std::vector<LogField> Fields(std::chrono::steady_clock::duration elapsed) const {
    const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    return {Num("results", results), Num("accepted", accepted), Num("rejected", rejected),
            Num("replayed", replayed), Num("failed", failed), Num("elapsed_ms", ms),
            Num("commands_per_s", ms > 0 ? results * 1000 / ms : 0)};
  }
};

// Reads lines of at most kMaxJsonLineBytes (+ CR) from a FILE; longer lines are
// consumed but reported as too long, not kept.
class LineReader {
 public:
  explicit LineReader(std::FILE* in) : in_(in), buffer_(kReadBufferBytes) {}

  // False at end of input, and when reading fails (then error() is set and the
  // partial line is dropped: a read error is not the end of the last line).
  // `too_long` set when the line exceeded the limit.
  bool Next(std::string* line, bool* too_long) {
    line->clear();
    *too_long = false;
    bool any = false;
    for (;;) {
      if (pos_ == len_) {
        errno = 0;
        len_ = std::fread(buffer_.data(), 1, buffer_.size(), in_);
        pos_ = 0;
        if (len_ == 0) {
          if (std::ferror(in_)) {
            error_ = errno != 0 ? std::strerror(errno) : "read error";
            line->clear();
            return false;
          }
          if (!any) return false;
          break;  // a last line without a newline: the same checks as any line
        }
      }
      any = true;
      char c = buffer_[pos_++];
      if (c == '\n') break;
      if (line->size() > engine::kMaxJsonLineBytes) {
        *too_long = true;  // keep consuming, drop the bytes
        continue;
      }
      line->push_back(c);
    }
    if (!line->empty() && line->back() == '\r') line->pop_back();  // D-7: CRLF
    if (line->size() > engine::kMaxJsonLineBytes) *too_long = true;
    if (*too_long) line->clear();
    return true;
  }

  // Why reading stopped short of the end (empty: it did not).
  const std::string& error() const { return error_; }

 private:
  std::FILE* in_;
  std::string error_;
  std::vector<char> buffer_;
  std::size_t pos_ = 0;
  std::size_t len_ = 0;
};

bool IsBlank(const std::string& line) {
  return line.find_first_not_of(" \t\r\n") == std::string::npos;
}

events::Future<engine::CommandOutcome> TooLong() {
  engine::CommandOutcome o;
  o.status = engine::OutcomeStatus::kRejected;
  o.error = engine::ErrorCode::kInvalidJson;
  o.result_json = engine::RejectedJson(
      std::nullopt, engine::Reject(engine::ErrorCode::kInvalidJson, "", "the line exceeds 1 MiB"));
  return events::ReadyFuture(std::move(o));
}

// The input post reads, opened and checked before the log is opened (or created):
// a missing file, a directory or a closed stdin is a usage error, not an empty input.
struct PostInput {
  std::FILE* file = nullptr;
  std::string name;  // for messages: standard input, or the quoted path
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer{nullptr, &std::fclose};
};

// kExitOk with *input filled, or the exit code of the usage error it printed.
int OpenPostInput(const std::string& arg, PostInput* input) {
  input->name = arg == "-" ? "standard input" : "'" + arg + "'";
  if (arg == "-" && StandardInputWasClosed()) return UsageError("cannot read standard input: it is closed");
  if (StandardOutputWasClosed()) return UsageError("stdout is closed: the results would be lost");
  input->file = arg == "-" ? stdin : std::fopen(arg.c_str(), "rb");
  if (input->file == nullptr) return UsageError("cannot open " + input->name + ": " + std::strerror(errno));
  if (input->file != stdin) input->closer.reset(input->file);
  struct stat input_stat;
  if (::fstat(fileno(input->file), &input_stat) != 0) {
    return UsageError("cannot read " + input->name + ": " + std::strerror(errno));
  }
  if (S_ISDIR(input_stat.st_mode)) return UsageError(input->name + " is a directory");
  return kExitOk;
}

// One post: submits each line, prints results strictly in input order, each once
// durable, with kMaxPostInFlight commands in flight; stops at a failed command, an
// unreadable input or an unwritable stdout.
class PostRun {
 public:
  explicit PostRun(std::chrono::seconds progress_every) : progress_every_(progress_every) {}

  // Posts every line of `in` as `tenant`'s; returns once each result is printed.
  void Run(engine::CommandService* service, const std::string& tenant, std::FILE* in) {
    started_ = std::chrono::steady_clock::now();
    next_progress_ = started_ + progress_every_;
    LineReader reader(in);
    std::string line;
    bool too_long = false;
    while (!stopped_ && reader.Next(&line, &too_long)) {
      if (too_long) {
        in_flight_.push_back(TooLong());
      } else if (IsBlank(line)) {
        continue;  // D-7
      } else {
        in_flight_.push_back(service->Submit(tenant, line, std::nullopt));
      }
      while (!in_flight_.empty() &&
             (in_flight_.size() >= kMaxPostInFlight ||
              in_flight_.front().wait_for(std::chrono::seconds(0)) == std::future_status::ready)) {
        PrintFront();
        if (stopped_) break;
      }
    }
    while (!in_flight_.empty()) PrintFront();  // after a stop: wait, print nothing more
    if (!reader.error().empty() && !stopped_) {
      read_error_ = reader.error();
      read_lines_ = counts_.results;
      exit_code_ = kExitUsage;
    }
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) OutputFailed();
    if (reported_) {
      LogEvent(output_error_ || counts_.failed > 0 ? LogLevel::kWarn : LogLevel::kInfo, "post_done",
               counts_.Fields(std::chrono::steady_clock::now() - started_));
    }
  }

  // Says on stderr why post stopped short, if it did; returns the exit code.
  int Finish(const std::string& input_name) const {
    if (failed_result_ > 0 && !output_error_) {
      std::fprintf(stderr,
                   "accrue: post: stopped at result %llu, a command that failed (its line on stdout says why); "
                   "posting the same file again carries on where it stopped, exactly once\n",
                   static_cast<unsigned long long>(failed_result_));
    }
    if (!read_error_.empty()) {
      std::fprintf(stderr,
                   "accrue: post: cannot read %s: %s; stopped after %llu results (those commands are "
                   "durable; posting the same file again replays them and carries on exactly once)\n",
                   input_name.c_str(), read_error_.c_str(), static_cast<unsigned long long>(read_lines_));
    }
    if (output_error_) {
      std::fprintf(stderr,
                   "accrue: post: cannot write the results to stdout; stopped (the commands whose results were "
                   "lost are durable: posting the same file again replays them)\n");
    }
    return exit_code_;
  }

 private:
  // Results that cannot be written (a full disk, a closed pipe) stop post like a
  // failed command: exit 2, and the commands already applied replay when the same
  // file is posted again. (Main ignores SIGPIPE, so a closed pipe is EPIPE.)
  void OutputFailed() {
    if (output_error_) return;
    output_error_ = true;
    stopped_ = true;
    exit_code_ = kExitUsage;
  }

  void PrintFront() {
    engine::CommandOutcome o = in_flight_.front().get();
    in_flight_.pop_front();
    if (stopped_) return;
    counts_.Count(o);
    std::fwrite(o.result_json.data(), 1, o.result_json.size(), stdout);
    std::fputc('\n', stdout);
    if (o.status == engine::OutcomeStatus::kRejected && exit_code_ == kExitOk) exit_code_ = kExitFound;
    if (o.status == engine::OutcomeStatus::kFailed) {
      stopped_ = true;
      exit_code_ = kExitUsage;
      failed_result_ = counts_.results;
    }
    if (std::ferror(stdout)) OutputFailed();
    if (counts_.results % kMaxPostInFlight == 0) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= next_progress_) {
        LogEvent(LogLevel::kInfo, "post_progress", counts_.Fields(now - started_));
        next_progress_ = now + progress_every_;
        reported_ = true;
      }
    }
  }

  const std::chrono::seconds progress_every_;
  std::deque<events::Future<engine::CommandOutcome>> in_flight_;
  PostCounts counts_;
  std::chrono::steady_clock::time_point started_, next_progress_;
  bool reported_ = false;      // a progress line was printed: print the summary too
  bool stopped_ = false;
  bool output_error_ = false;  // stdout refused a result
  int exit_code_ = kExitOk;
  uint64_t failed_result_ = 0;  // which result (1-based) was a failed command; 0: none
  std::string read_error_;      // the input could not be read to its end
  uint64_t read_lines_ = 0;     // results printed before that
};

}  // namespace

int RunPost(const GlobalOptions& g, const std::vector<std::string>& args) {
  FlagParser flags;
  std::string progress_text;
  flags.Value("--progress", &progress_text);
  std::vector<std::string> positional;
  std::string error;
  if (!flags.Parse(args, &positional, &error)) return UsageError(error);
  if (positional.size() != 1) return UsageError("post needs exactly one FILE or -");
  std::chrono::seconds progress_every = kPostProgressInterval;
  if (!progress_text.empty()) {
    unsigned long long n = 0;
    if (!ParseUint64(progress_text, &n) || n > kMaxPostProgressSeconds) {
      return UsageError("--progress needs whole seconds from 0 to " + std::to_string(kMaxPostProgressSeconds));
    }
    progress_every = std::chrono::seconds(n);
  }
  InitLogging(g.log_format);
  PostInput input;
  if (int code = OpenPostInput(positional[0], &input); code != kExitOk) return code;

  events::RocksStoreOptions options;
  options.mode = events::OpenMode::kReadWrite;
  auto store = events::OpenRocksEventStore(g.data_dir, options);
  if (!store.ok()) {
    std::fprintf(stderr, "accrue: cannot open the log at %s: %s\n", g.data_dir.c_str(),
                 store.status().ToString().c_str());
    return kExitUsage;
  }
  engine::ServiceOptions service_options;
  // Fault injection for tests/run_crash_test.cpp only.
  if (const char* crash = std::getenv("ACCRUE_TEST_CRASH_AFTER_RUN_PARTS")) {
    unsigned long long n = 0;
    if (ParseUint64(crash, &n)) service_options.crash_after_run_parts = n;
  }
  PostRun run(progress_every);
  {
    engine::CommandService service(store.value().get(), service_options);
    run.Run(&service, g.tenant, input.file);
  }  // the service has finished every append (and snapshot) before post says why it stopped
  return run.Finish(input.name);
}

}  // namespace accrue::app
