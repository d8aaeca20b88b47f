// Reads through the stream index of a RocksLog (keys.h: one entry per run of a
// stream's consecutive events). Internal to events/; RocksEventStore's
// ReadStream and ScanStreamIndex are the public faces.
//
// Both check what they read: a malformed key or value, a run that overlaps the
// one before it or leaves a gap, and an event whose stream or version is not
// the one its run says, are Status::Corruption naming the stream and version.
//
// Thread-safety: as RocksLog (concurrent with the writer).
#ifndef ACCRUE_EVENTS_STREAM_INDEX_H_
#define ACCRUE_EVENTS_STREAM_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "events/event_store.h"
#include "events/rocks_log.h"
#include "events/status.h"

namespace accrue::events {

// Up to `max_count` events of `stream` from `from_version` (0 reads from 1), in
// version order, each decoded and hash-checked (DecodeStored).
Result<std::vector<RecordedEvent>> ReadStreamFromIndex(RocksLog& log, const std::string& stream,
                                                       uint64_t from_version,
                                                       std::size_t max_count);

// Calls fn(stream, version, position) for every indexed event, runs expanded,
// in key order (streams by name, then versions); stops early when fn returns
// false.
Status ScanIndexEntries(
    RocksLog& log, const std::function<bool(const std::string&, uint64_t, uint64_t)>& fn);

}  // namespace accrue::events

#endif  // ACCRUE_EVENTS_STREAM_INDEX_H_
