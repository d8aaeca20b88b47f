// `accrue log verify|stat|dump` (contract.md; output in docs/cli.md).
//
//   log verify [--json]   walks the chain (events/verify_log.h) and decodes every
//                         payload as the billing event its type names
//                         (app/log_payload_check.h); exit 0 when sound,
//                         1 naming the first bad position, 2 when it cannot open;
//                         progress on stderr when stderr is a terminal.
//   log stat [--json]     event count (= last position; verify proves positions
//                         are gapless), last position, head hash, size on disk,
//                         format version.
//   log dump [--from N] [--limit N]   events as JSON lines.
//   log backup DIR        a consistent RocksDB checkpoint of the log in the new DIR
//                         (events/log_backup.h); refuses while a writer holds the log.
// The log is opened read-only: as a RocksDB secondary when a writer holds it.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "app/cli.h"
#include "app/log_json.h"
#include "app/log_payload_check.h"
#include "events/log_backup.h"
#include "events/rocks_event_store.h"
#include "events/sha256.h"
#include "events/verify_log.h"

namespace accrue::app {
namespace {

using events::EventStore;

inline constexpr std::size_t kDumpPageSize = 1024;

std::unique_ptr<EventStore> OpenForReading(const GlobalOptions& g, int* exit_code) {
  events::RocksStoreOptions options;
  options.mode = events::OpenMode::kAutoReadOnly;
  auto store = events::OpenRocksEventStore(g.data_dir, options);
  if (!store.ok()) {
    std::fprintf(stderr, "accrue: cannot open the event log in %s: %s\n", g.data_dir.c_str(),
                 store.status().ToString().c_str());
    *exit_code = kExitUsage;
    return nullptr;
  }
  return std::move(store.value());
}

uint64_t SizeOnDisk(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

int Verify(const GlobalOptions& g, const std::vector<std::string>& args) {
  bool json = false;
  int code = kExitOk;
  if (!ParseJsonFlagOnly(args, "log verify", &json, &code)) return code;
  auto store = OpenForReading(g, &code);
  if (!store) return code;
  events::VerifyOptions options;
  options.check_records = true;  // claims and idempotency records too (pass 3)
  options.check_payload = CheckBillingPayload;  // each payload decodes as its event type
  const bool tty = isatty(STDERR_FILENO) == 1;
  if (tty) {
    options.progress = [](uint64_t done, uint64_t total) {
      std::fprintf(stderr, "\rverifying: %llu / %llu events", static_cast<unsigned long long>(done),
                   static_cast<unsigned long long>(total));
    };
  }
  auto report = events::VerifyLog(*store, options);
  if (tty) std::fprintf(stderr, "\n");
  if (!report.ok() && report.status().code() != StatusCode::kCorruption) {
    std::fprintf(stderr, "accrue: log verify could not read the log: %s\n",
                 report.status().ToString().c_str());
    return kExitUsage;
  }
  // A block that fails its checksum while reading (the stream index, the stream
  // heads) is damage, like a bad event: exit 1, without a position when the
  // damaged structure has none.
  events::VerifyReport damaged;
  if (!report.ok()) {
    damaged.ok = false;
    damaged.reason = report.status().ToString();
  }
  const events::VerifyReport& r = report.ok() ? report.value() : damaged;
  if (json) {
    std::printf("{\"ok\":%s,\"events\":%llu,\"streams\":%llu,\"last_position\":%llu,"
                "\"head_hash\":\"%s\",\"first_bad_position\":%llu,\"reason\":%s,"
                "\"claims\":%llu,\"idempotency_records\":%llu}\n",
                r.ok ? "true" : "false", static_cast<unsigned long long>(r.events),
                static_cast<unsigned long long>(r.streams),
                static_cast<unsigned long long>(r.last_position), events::ToHex(r.head_hash).c_str(),
                static_cast<unsigned long long>(r.first_bad_position), JsonString(r.reason).c_str(),
                static_cast<unsigned long long>(r.claims),
                static_cast<unsigned long long>(r.idempotency_records));
  } else if (r.ok) {
    std::printf("ok: %llu events in %llu streams, last position %llu, head %s; %llu claims, "
                "%llu idempotency records\n",
                static_cast<unsigned long long>(r.events), static_cast<unsigned long long>(r.streams),
                static_cast<unsigned long long>(r.last_position), events::ToHex(r.head_hash).c_str(),
                static_cast<unsigned long long>(r.claims),
                static_cast<unsigned long long>(r.idempotency_records));

  } else if (r.first_bad_position == 0) {
    std::printf("broken: %s\n", r.reason.c_str());
  } else {
    std::printf("broken: first bad position %llu: %s\n",
                static_cast<unsigned long long>(r.first_bad_position), r.reason.c_str());
  }
  return r.ok ? kExitOk : kExitFound;
}

int Stat(const GlobalOptions& g, const std::vector<std::string>& args) {
  bool json = false;
  int code = kExitOk;
  if (!ParseJsonFlagOnly(args, "log stat", &json, &code)) return code;
  auto store = OpenForReading(g, &code);
  if (!store) return code;
  const uint64_t last = store->LastPosition();
  std::string head_hash;
  if (last > 0) {
    auto head = store->ReadAll(last, 1);
    if (!head.ok() || head.value().empty()) {
      std::fprintf(stderr, "accrue: cannot read the head event: %s\n",
                   head.ok() ? "missing" : head.status().ToString().c_str());
      return kExitUsage;
    }
    head_hash = head.value()[0].hash;
  }
  const uint64_t bytes = SizeOnDisk(g.data_dir);
  // The count is the last position, not a count: positions are gapless from 1 and
  // `log verify` proves it (a count would be a full scan). Both outputs say so.
  if (json) {
    std::printf("{\"events\":%llu,\"last_position\":%llu,\"head_hash\":\"%s\",\"size_bytes\":%llu,"
                "\"events_from\":\"last_position\",\"count_proven_by\":\"log verify\","
                "\"format_version\":%u}\n",
                static_cast<unsigned long long>(last), static_cast<unsigned long long>(last),
                events::ToHex(head_hash).c_str(), static_cast<unsigned long long>(bytes),
                store->FormatVersion());
  } else {
    std::printf("events:        %llu (the last position: positions are gapless from 1, which "
                "`accrue log verify` proves; stat does not count them)\n"
                "last position: %llu\nhead hash:     %s\nsize on disk:  %llu bytes\n"
                "format:        %u (docs/event-log-format.md)\n",
                static_cast<unsigned long long>(last), static_cast<unsigned long long>(last),
                head_hash.empty() ? "-" : events::ToHex(head_hash).c_str(),
                static_cast<unsigned long long>(bytes), store->FormatVersion());
  }
  return kExitOk;
}

int Dump(const GlobalOptions& g, const std::vector<std::string>& args) {
  std::string from_text = "1";
  std::string limit_text;
  bool json = true;  // dump is always JSON lines; --json accepted for symmetry
  FlagParser flags;
  flags.Value("--from", &from_text);
  flags.Value("--limit", &limit_text);
  flags.Bool("--json", &json);
  std::vector<std::string> positional;
  std::string error;
  if (!flags.Parse(args, &positional, &error)) return UsageError(error);
  if (!positional.empty()) return UsageError("log dump takes no arguments");
  unsigned long long from = 1;
  unsigned long long limit = UINT64_MAX;
  if (!ParseUint64(from_text, &from)) return UsageError("--from must be a position");
  if (!limit_text.empty() && !ParseUint64(limit_text, &limit)) {
    return UsageError("--limit must be a count");
  }
  int code = kExitOk;
  auto store = OpenForReading(g, &code);
  if (!store) return code;
  uint64_t next = from == 0 ? 1 : from;
  uint64_t left = limit;
  // A page that cannot be read (a damaged block) is read again one event at a
  // time, so every readable event before the damage is printed and the message
  // names the first position that cannot be read (it named the page's first).
  bool one_by_one = false;
  while (left > 0) {
    auto page = store->ReadAll(next, one_by_one ? 1 : std::min<uint64_t>(left, kDumpPageSize));
    if (!page.ok() && !one_by_one) {
      one_by_one = true;
      continue;
    }
    if (!page.ok()) {
      std::fprintf(stderr, "accrue: log dump stopped at position %llu: %s\n",
                   static_cast<unsigned long long>(next), page.status().ToString().c_str());
      return kExitFound;
    }
    if (page.value().empty()) break;
    for (const events::RecordedEvent& e : page.value()) {
      std::string line = EventJson(e);
      line.push_back('\n');
      errno = 0;
      if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size() || std::ferror(stdout)) {
        // A full disk or a closed pipe (`| head`): stop now, not after the whole log.
        std::fprintf(stderr, "accrue: log dump: cannot write to stdout: %s\n",
                     errno != 0 ? std::strerror(errno) : "write error");
        return kExitUsage;
      }
      next = e.position + 1;
      --left;
    }
  }
  return kExitOk;
}

int Backup(const GlobalOptions& g, const std::vector<std::string>& args) {
  FlagParser flags;
  std::vector<std::string> positional;
  std::string error;
  if (!flags.Parse(args, &positional, &error)) return UsageError(error);
  if (positional.size() != 1) return UsageError("log backup takes one argument: the new backup dir");
  auto info = events::BackupLog(g.data_dir, positional[0]);
  if (!info.ok()) {
    std::fprintf(stderr, "accrue: log backup failed: %s\n", info.status().ToString().c_str());
    return kExitUsage;
  }
  std::printf("backup of %s in %s: last position %llu; prove it with `accrue log verify --data %s`\n",
              g.data_dir.c_str(), positional[0].c_str(),
              static_cast<unsigned long long>(info.value().last_position), positional[0].c_str());
  return kExitOk;
}

}  // namespace

int RunLog(const GlobalOptions& g, const std::vector<std::string>& args) {
  if (args.empty()) return UsageError("log needs a subcommand: verify, stat, dump or backup");
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "verify") return Verify(g, rest);
  if (args[0] == "stat") return Stat(g, rest);
  if (args[0] == "dump") return Dump(g, rest);
  if (args[0] == "backup") return Backup(g, rest);
  return UsageError("unknown log subcommand '" + args[0] + "' (verify, stat, dump, backup)");
}

}  // namespace accrue::app
