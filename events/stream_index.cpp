#include "events/stream_index.h"

#include <memory>
#include <string_view>

#include "events/envelope_codec.h"
#include "events/keys.h"

namespace accrue::events {
namespace {

std::string_view View(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

Status Broken(const std::string& stream, uint64_t version) {
  return Status::Corruption("stream index of '" + stream + "' is broken at version " +
                            std::to_string(version));
}

// One index entry, parsed.
struct Run {
  uint64_t first_version = 0;
  uint64_t position = 0;
  uint64_t count = 0;
};

bool ParseRun(const rocksdb::Iterator& it, std::string* stream, Run* run) {
  return keys::ParseStreamIndexKey(View(it.key()), stream, &run->first_version) &&
         run->first_version != 0 &&
         keys::DecodeIndexRun(View(it.value()), &run->position, &run->count);
}

// Reads `n` events from `position` on (consecutive positions) into `out`,
// checking each is `stream` at the next version from `version`.
Status ReadRun(RocksLog& log, const std::string& stream, uint64_t version, uint64_t position,
               uint64_t n, std::vector<RecordedEvent>* out) {
  auto check = [&](Result<RecordedEvent> event, uint64_t at) -> Status {
    if (!event.ok()) return event.status();
    if (event.value().stream != stream || event.value().version != version) {
      return Status::Corruption("stream index of '" + stream + "' version " +
                                std::to_string(version) + " points at position " +
                                std::to_string(at) + " of another event");
    }
    out->push_back(std::move(event.value()));
    ++version;
    return Status::Ok();
  };
  if (n == 1) {  // a point read: cheaper than an iterator for the common one-event run
    std::string value;
    rocksdb::Status s =
        log.db->Get(rocksdb::ReadOptions(), log.events, keys::PositionKey(position), &value);
    if (s.IsNotFound()) {
      return Status::Corruption("position " + std::to_string(position) + " is missing");
    }
    if (!s.ok()) return FromRocks(s, "reading position " + std::to_string(position));
    return check(DecodeStored(value, position), position);
  }
  std::unique_ptr<rocksdb::Iterator> it(log.db->NewIterator(rocksdb::ReadOptions(), log.events));
  it->Seek(keys::PositionKey(position));
  for (uint64_t at = position; at < position + n; ++at, it->Next()) {
    if (!it->Valid() || View(it->key()) != keys::PositionKey(at)) {
      if (!it->status().ok()) return FromRocks(it->status(), "reading position " + std::to_string(at));
      return Status::Corruption("position " + std::to_string(at) + " is missing");
    }
    if (Status s = check(DecodeStored(View(it->value()), at), at); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<RecordedEvent>> ReadStreamFromIndex(RocksLog& log, const std::string& stream,
                                                       uint64_t from_version,
                                                       std::size_t max_count) {
  std::vector<RecordedEvent> out;
  uint64_t expected = from_version == 0 ? 1 : from_version;
  const std::string start = keys::StreamIndexKey(stream, expected);
  const std::string_view prefix(start.data(), stream.size() + 1);  // stream 0x00
  std::unique_ptr<rocksdb::Iterator> it(log.db->NewIterator(rocksdb::ReadOptions(), log.stream_index));
  // The run holding `expected` is the last entry at or before it.
  it->SeekForPrev(start);
  if (!it->Valid() || !it->key().starts_with(prefix)) it->Seek(start);
  bool first_entry = true;
  std::string key_stream;
  for (; it->Valid() && out.size() < max_count && it->key().starts_with(prefix); it->Next()) {
    Run run;
    if (!ParseRun(*it, &key_stream, &run)) return Broken(stream, expected);
    const uint64_t end = run.first_version + run.count;  // one past the run's last version
    if (first_entry && end <= expected) {  // the run before `expected`: the stream ends there
      first_entry = false;
      continue;
    }
    first_entry = false;
    if (run.first_version > expected || end <= expected) return Broken(stream, expected);
    const uint64_t skip = expected - run.first_version;
    const uint64_t n = std::min<uint64_t>(run.count - skip, max_count - out.size());
    if (Status s = ReadRun(log, stream, expected, run.position + skip, n, &out); !s.ok()) return s;
    expected += n;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "reading stream " + stream);
  return out;
}

Status ScanIndexEntries(
    RocksLog& log, const std::function<bool(const std::string&, uint64_t, uint64_t)>& fn) {
  PerfCountersOff perf_off;
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;  // a walk over the whole index (see ReadStoredPage)
  std::unique_ptr<rocksdb::Iterator> it(log.db->NewIterator(read_options, log.stream_index));
  std::string stream;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Run run;
    if (!ParseRun(*it, &stream, &run)) return Status::Corruption("malformed stream index entry");
    for (uint64_t k = 0; k < run.count; ++k) {
      if (!fn(stream, run.first_version + k, run.position + k)) return Status::Ok();
    }
  }
  return FromRocks(it->status(), "scanning the stream index");
}

}  // namespace accrue::events
