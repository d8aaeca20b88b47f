#include "events/rocks_log.h"

#include "events/info_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <system_error>

#include <rocksdb/convenience.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include "events/keys.h"

namespace accrue::events {
namespace {

const std::vector<std::string>& FamilyNames() {
  static const std::vector<std::string> kNames = {
      rocksdb::kDefaultColumnFamilyName, keys::kEventsFamily,      keys::kStreamIndexFamily,
      keys::kStreamHeadsFamily,          keys::kClaimsFamily,      keys::kIdempotencyFamily,
      keys::kSnapshotsFamily};
  return kNames;
}

std::vector<rocksdb::ColumnFamilyDescriptor> Descriptors(const rocksdb::Options& options) {
  std::vector<rocksdb::ColumnFamilyDescriptor> out;
  for (const std::string& name : FamilyNames()) {
    rocksdb::ColumnFamilyOptions family(options);
    if (name == keys::kEventsFamily) family = rocksdb::ColumnFamilyOptions(EventsFamilyOptions(options));
    if (name == keys::kStreamIndexFamily) {
      family = rocksdb::ColumnFamilyOptions(StreamIndexFamilyOptions(options));
    }
    out.emplace_back(name, family);
  }
  return out;
}

OpenMode ResolveMode(const std::string& dir, OpenMode mode) {
  if (mode != OpenMode::kAutoReadOnly) return mode;
  return LogHeldByAnotherProcess(dir) ? OpenMode::kSecondary : OpenMode::kReadOnly;
}

rocksdb::Status OpenDb(const std::string& dir, OpenMode mode, const rocksdb::Options& options,
                       RocksLog* log) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  auto descriptors = Descriptors(options);
  if (mode == OpenMode::kReadWrite) {
    s = rocksdb::DB::Open(rocksdb::DBOptions(options), dir, descriptors, &log->handles, &raw);
  } else if (mode == OpenMode::kReadOnly) {
    rocksdb::DBOptions db_options(options);
    db_options.max_open_files = kReadOnlyMaxOpenFiles;  // table files open on first use
    s = rocksdb::DB::OpenForReadOnly(db_options, dir, descriptors, &log->handles, &raw);
  } else {
    char tmpl[] = "/tmp/accrue-secondary-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return rocksdb::Status::IOError("mkdtemp for secondary");
    log->secondary_dir = tmpl;
    rocksdb::DBOptions db_options(options);
    db_options.max_open_files = -1;  // required by secondary instances
    s = rocksdb::DB::OpenAsSecondary(db_options, dir, log->secondary_dir, descriptors,
                                     &log->handles, &raw);
  }
  log->db.reset(raw);
  return s;
}

// True for the names RocksDB gives the files of a database directory.
bool IsRocksFileName(std::string_view name) {
  auto starts = [&](std::string_view p) { return name.substr(0, p.size()) == p; };
  auto ends = [&](std::string_view s) { return name.size() >= s.size() && name.substr(name.size() - s.size()) == s; };
  return name == "CURRENT" || name == "IDENTITY" || name == "LOCK" || name == "LOG" || starts("LOG.old.") ||
         starts("MANIFEST-") || starts("OPTIONS-") || ends(".log") || ends(".sst") || ends(".blob") ||
         ends(".dbtmp");
}

// A writer creates or extends a log only where one belongs. Refused, before
// RocksDB would add accrue's families and files: a RocksDB database that has a
// family accrue does not know, or whose default family holds keys of its own
// (someone else's database); a directory holding regular files RocksDB did not
// name. Accepted: a log; an empty or missing directory; what a crashed first open
// left (RocksDB's files, only the default family, nothing in it but possibly the
// format version); `lost+found`, other directories and dotfiles (a fresh volume).
Status RefuseForeignDirectory(const std::string& dir, bool has_current) {
  const std::string advice = "; give --data a dedicated directory (new, or empty)";
  if (has_current) {
    std::vector<std::string> families;
    if (!rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &families).ok()) {
      return Status::Ok();  // the open says what is wrong
    }
    for (const std::string& family : families) {
      if (std::find(FamilyNames().begin(), FamilyNames().end(), family) == FamilyNames().end()) {
        return Status::FailedPrecondition(dir + " is a RocksDB database but not an accrue event log (it has a '" +
                                          family + "' column family)" + advice);
      }
    }
    if (std::find(families.begin(), families.end(), keys::kEventsFamily) != families.end()) return Status::Ok();
    // Only accrue's names but no `events` family yet: a creation that stopped
    // early, or another database that uses just the default family.
    rocksdb::DB* raw = nullptr;
    if (!rocksdb::DB::OpenForReadOnly(rocksdb::Options(), dir, &raw).ok()) return Status::Ok();
    std::unique_ptr<rocksdb::DB> db(raw);
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key() != rocksdb::Slice(keys::kFormatVersionKey)) {
        return Status::FailedPrecondition(dir + " is a RocksDB database but not an accrue event log (its default " +
                                          "column family holds other keys)" + advice);
      }
    }
    return Status::Ok();
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    std::error_code type_ec;
    if (name.empty() || name[0] == '.' || entry.is_directory(type_ec) || IsRocksFileName(name)) continue;
    return Status::FailedPrecondition(dir + " is not an accrue event log: it holds other files ('" + name + "')" +
                                      advice);
  }
  return Status::Ok();
}

// Checks the stored format version; writes it into a new, empty read-write log.
Status CheckFormat(RocksLog* log) {
  std::string value;
  rocksdb::Status s = log->db->Get(rocksdb::ReadOptions(), log->meta, keys::kFormatVersionKey, &value);
  if (s.IsNotFound()) {
    std::unique_ptr<rocksdb::Iterator> it(log->db->NewIterator(rocksdb::ReadOptions(), log->events));
    it->SeekToFirst();
    if (it->Valid()) return Status::Corruption("log has events but no format_version");
    log->format_version = keys::kFormatVersion;
    if (log->mode != OpenMode::kReadWrite) return Status::Ok();  // empty log
    std::string encoded;
    keys::PutFixed32(&encoded, keys::kFormatVersion);
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    return FromRocks(log->db->Put(write_options, log->meta, keys::kFormatVersionKey, encoded),
                     "writing format_version");
  }
  if (!s.ok()) return FromRocks(s, "reading format_version");
  std::string_view in(value);
  uint32_t version = 0;
  if (!keys::GetFixed32(&in, &version) || !in.empty()) {
    return Status::Corruption("format_version is not a fixed32");
  }
  if (version > keys::kFormatVersion) {
    return Status::FailedPrecondition("log format version " + std::to_string(version) +
                                      " is newer than this build's " +
                                      std::to_string(keys::kFormatVersion) + "; upgrade accrue");
  }
  if (version == 0) return Status::Corruption("format_version is 0");
  log->format_version = version;
  return Status::Ok();
}

}  // namespace

RocksLog::~RocksLog() {
  if (db) {
    if (mode == OpenMode::kReadWrite) {
      // Retire the WAL so read-only opens need not replay it (rocks_log.h). A
      // failure (disk full, a fatal write error) is not an error of the close:
      // the WAL still holds everything and the next open replays it.
      rocksdb::FlushOptions flush_options;
      flush_options.wait = true;
      (void)db->Flush(flush_options, handles);
    }
    for (auto* h : handles) (void)db->DestroyColumnFamilyHandle(h);
    handles.clear();
    (void)db->Close();
    db.reset();
  }
  if (!secondary_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(secondary_dir, ec);
  }
}

namespace {

bool Lz4Available() {
  static const bool kAvailable = [] {
    for (rocksdb::CompressionType t : rocksdb::GetSupportedCompressions()) {
      if (t == rocksdb::kLZ4Compression) return true;
    }
    return false;
  }();
  return kAvailable;
}

}  // namespace

rocksdb::Options BaseRocksOptions() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.IncreaseParallelism(2);
  options.max_file_opening_threads = kFileOpeningThreads;
  options.write_buffer_size = kWriteBufferBytes;
  options.max_total_wal_size = kMaxTotalWalBytes;
  options.keep_log_file_num = 4;
  // WAL replay at open: a torn last record (a crash mid-write; it was never
  // acknowledged, the fsync had not returned) is dropped, but damage before the
  // end fails the open with Corruption. RocksDB's default (point in time) stops
  // replay at the first bad record and drops every record after it: one flipped
  // byte in the middle of a WAL silently lost ~18,000 acknowledged commands
  // (fault hunt, 2026-12-06). Refusing to open lets the operator restore.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  // Most point reads on the command path miss (a new idempotency key, a new
  // usage_id claim, each checked by the service and again by the writer): a
  // whole-key bloom filter in the memtable and in every SST answers those
  // without searching the skiplist or reading blocks. Filters are per file, so
  // logs written without them read the same.
  options.memtable_whole_key_filtering = true;
  options.memtable_prefix_bloom_size_ratio = kMemtableBloomRatio;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey, false));
  table.whole_key_filtering = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // LZ4 decompresses about twice as fast as Snappy (RocksDB's default) at a
  // similar ratio: verify of the 1M-event demo log 1.36 -> 1.22 s (median of 6,
  // interleaved), and with kScanFamilyBlockBytes 1.13 s. Each block records its
  // compression, so logs written with Snappy read as before; a RocksDB built
  // without LZ4 keeps Snappy.
  options.compression = Lz4Available() ? rocksdb::kLZ4Compression : rocksdb::kSnappyCompression;
  return options;
}

namespace {

rocksdb::Options WithoutPointFilters(rocksdb::Options options) {
  options.memtable_whole_key_filtering = false;
  options.memtable_prefix_bloom_size_ratio = 0;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset();
  table.whole_key_filtering = false;
  table.block_size = kScanFamilyBlockBytes;  // only the scanned families take this path
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// Prefix of a stream index key: everything before the fixed64 version
// (stream 0x00), so one insert hint per stream (keys.h grammar).
class StreamIndexPrefix final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "accrue.StreamIndexPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), key.size() - sizeof(uint64_t));
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() > sizeof(uint64_t); }
};

}  // namespace

rocksdb::Options EventsFamilyOptions(rocksdb::Options base) {
  rocksdb::Options options = WithoutPointFilters(std::move(base));
  options.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(0));
  return options;
}

rocksdb::Options StreamIndexFamilyOptions(rocksdb::Options base) {
  rocksdb::Options options = WithoutPointFilters(std::move(base));
  options.memtable_insert_with_hint_prefix_extractor = std::make_shared<StreamIndexPrefix>();
  return options;
}

PerfCountersOff::PerfCountersOff() : saved_(static_cast<int>(rocksdb::GetPerfLevel())) {
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
}

PerfCountersOff::~PerfCountersOff() { rocksdb::SetPerfLevel(static_cast<rocksdb::PerfLevel>(saved_)); }

Status FromRocks(const rocksdb::Status& status, const std::string& what) {
  if (status.ok()) return Status::Ok();
  std::string m = what + ": " + status.ToString();
  if (status.IsNoSpace()) return Status::Unavailable("disk full, retry when space returns: " + m);
  if (status.IsIOError()) return Status::IoError(m);
  if (status.IsCorruption()) return Status::Corruption(m);
  if (status.IsNotFound()) return Status::NotFound(m);
  if (status.IsBusy() || status.IsTryAgain()) return Status::Unavailable(m);
  if (status.IsInvalidArgument()) return Status::InvalidArgument(m);
  return Status::Internal(m);
}

Result<uint64_t> GetStreamHead(RocksLog& log, const std::string& stream) {
  std::string value;
  rocksdb::Status s = log.db->Get(rocksdb::ReadOptions(), log.stream_heads, stream, &value);
  if (s.IsNotFound()) return uint64_t{0};
  if (!s.ok()) return FromRocks(s, "reading stream head");
  std::string_view in(value);
  uint64_t version = 0;
  if (!keys::GetFixed64(&in, &version)) {
    return Status::Corruption("stream head of '" + stream + "' is malformed");
  }
  return version;
}

Result<std::optional<Claim>> GetClaim(RocksLog& log, const std::string& key) {
  std::string value;
  rocksdb::Status s = log.db->Get(rocksdb::ReadOptions(), log.claims, key, &value);
  if (s.IsNotFound()) return std::optional<Claim>();
  if (!s.ok()) return FromRocks(s, "reading claim");
  Claim claim;
  claim.key = key;
  if (!keys::DecodeClaimValue(value, &claim)) return Status::Corruption("claim '" + key + "' is malformed");
  return std::optional(std::move(claim));
}

Result<std::optional<std::string>> GetClaimOwner(RocksLog& log, const std::string& key) {
  auto claim = GetClaim(log, key);
  if (!claim.ok()) return claim.status();
  if (!claim.value()) return std::optional<std::string>();
  return std::optional(std::move(claim.value()->stream));
}

Result<std::optional<IdempotencyLookup>> GetIdempotency(RocksLog& log, const std::string& key) {
  std::string value;
  rocksdb::Status s = log.db->Get(rocksdb::ReadOptions(), log.idempotency, key, &value);
  if (s.IsNotFound()) return std::optional<IdempotencyLookup>();
  if (!s.ok()) return FromRocks(s, "reading idempotency record");
  auto decoded = keys::DecodeIdempotency(value);
  if (!decoded) return Status::Corruption("idempotency record of '" + key + "' is malformed");
  return std::optional(*decoded);
}

bool LogHeldByAnotherProcess(const std::string& dir) {
  int fd = ::open((dir + "/LOCK").c_str(), O_RDONLY);
  if (fd < 0) return false;
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  bool held = ::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

Result<std::unique_ptr<RocksLog>> OpenRocksLog(const std::string& dir,
                                               const RocksStoreOptions& options) {
  auto log = std::make_unique<RocksLog>();
  log->mode = ResolveMode(dir, options.mode);
  bool exists = std::filesystem::exists(dir + "/CURRENT");
  if (!exists && (log->mode != OpenMode::kReadWrite || !options.create_if_missing)) {
    return Status::NotFound("no event log in " + dir);
  }
  if (log->mode == OpenMode::kReadWrite && LogHeldByAnotherProcess(dir)) {
    return Status::FailedPrecondition("event log " + dir +
                                      " is held by another process; open it read-only");
  }
  if (log->mode == OpenMode::kReadWrite) {
    if (Status foreign = RefuseForeignDirectory(dir, exists); !foreign.ok()) return foreign;
  }
  rocksdb::Options rocks_options = BaseRocksOptions();
  if (log->mode != OpenMode::kReadWrite) {
    // No writer here: a memtable bloom filter would only be allocated and zeroed
    // (kMemtableBloomRatio x kWriteBufferBytes per family, ~16 MiB in all, most of
    // a short `inspect`'s page faults) to speed up misses in memtables that hold
    // at most a replayed WAL tail.
    rocks_options.memtable_prefix_bloom_size_ratio = 0;
    rocks_options.memtable_whole_key_filtering = false;
    // Readers map the table files instead of pread-ing each block into a buffer
    // (`log verify` spent ~9% of its CPU in the kernel copying blocks out of the
    // page cache; 1.39 -> 0.96 s on the 1M-event demo log). Table files are
    // immutable once written, so a mapping never sees a file change under it;
    // the mapped pages are the page cache's, not the process's own memory.
    rocks_options.allow_mmap_reads = true;
  }
  rocks_options.create_if_missing = options.create_if_missing;
  if (options.env != nullptr) rocks_options.env = options.env;
  // RocksDB's default LOG writer aborts on its next line after a failed write (a
  // full disk): events/info_log.h. Read-only and secondary opens keep RocksDB's.
  if (log->mode == OpenMode::kReadWrite) rocks_options.info_log = MakeInfoLog(dir);
  rocksdb::Status s = OpenDb(dir, log->mode, rocks_options, log.get());
  if (!s.ok() && log->mode == OpenMode::kReadWrite && s.IsIOError() && LogHeldByAnotherProcess(dir)) {
    // Another writer took the LOCK between the check above and this open: the
    // same refusal, in the same words. (Any other lock failure, ENOLCK on NFS
    // say, keeps RocksDB's own message.)
    return Status::FailedPrecondition("event log " + dir + " is held by another process; open it read-only");
  }
  if (!s.ok()) return FromRocks(s, "opening event log " + dir);
  std::vector<rocksdb::ColumnFamilyHandle**> slots = {
      &log->meta,   &log->events,      &log->stream_index, &log->stream_heads,
      &log->claims, &log->idempotency, &log->snapshots};
  if (log->handles.size() != slots.size()) return Status::Internal("column family count");
  for (std::size_t i = 0; i < slots.size(); ++i) *slots[i] = log->handles[i];
  if (Status f = CheckFormat(log.get()); !f.ok()) return f;
  return log;
}

}  // namespace accrue::events
