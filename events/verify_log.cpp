#include "events/verify_log.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "events/envelope_codec.h"
#include "events/thread_name.h"

namespace accrue::events {
namespace {

// Order-sensitive 64-bit digest step (splitmix64 finaliser over state ^ value).
uint64_t Mix(uint64_t state, uint64_t value) {
  uint64_t z = (state ^ value) + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

struct StreamState {
  uint64_t last_version = 0;
  uint64_t digest = 0;          // Mix over positions in version order
  uint64_t first_position = 0;  // of version 1 (pass 1 only)
  bool indexed = false;         // pass 2 found the stream in the index
};

// What pass 2 found wrong with one stream's index, before it is attributed to a
// position (attribution reads the store, which must not happen inside a scan).
struct IndexProblem {
  std::string stream;
  std::string reason;
};

class Verifier {
 public:
  Verifier(EventStore& store, const VerifyOptions& options)
      : store_(store), options_(options), reads_check_hashes_(store.ReadsCheckHashes()) {}

  Result<VerifyReport> Run() {
    report_.last_position = store_.LastPosition();
    if (Status s = WalkEvents(); !s.ok()) return s;
    if (report_.ok) {
      if (Status s = WalkIndex(); !s.ok()) return s;
    }
    report_.streams = streams_.size();
    return report_;
  }

 private:
  bool Fail(uint64_t position, std::string reason) {
    report_.ok = false;
    report_.first_bad_position = position;
    report_.reason = std::move(reason);
    return false;
  }

  // Checks one event that decoded; false once a problem is recorded.
  bool Check(const RecordedEvent& e) {
    const uint64_t p = next_position_;
    if (e.position != p) return Fail(p, "position " + std::to_string(p) + " is missing");
    if (e.prev_hash != prev_hash_) return Fail(p, "prev_hash is not the hash of the previous event");
    if (!reads_check_hashes_ && ComputeEventHash(e) != e.hash) {
      return Fail(p, "hash does not match the envelope");
    }
    StreamState& st = streams_[e.stream];
    if (e.version != st.last_version + 1) {
      return Fail(p, "stream '" + e.stream + "' jumps from version " +
                         std::to_string(st.last_version) + " to " + std::to_string(e.version));
    }
    if (options_.check_payload) {
      if (Status s = options_.check_payload(e); !s.ok()) {
        return Fail(p, "payload of " + e.type + " does not decode: " + s.ToString());
      }
    }
    if (e.version == 1) st.first_position = p;
    st.last_version = e.version;
    st.digest = Mix(st.digest, p);
    prev_hash_ = e.hash;
    report_.head_hash = e.hash;
    ++next_position_;
    ++report_.events;
    if (options_.progress && report_.events % options_.progress_every == 0) {
      options_.progress(report_.events, report_.last_position);
    }
    return true;
  }

  // A page failed to read: find the exact bad position one event at a time.
  Status Locate(const Status& page_error) {
    for (uint64_t p = next_position_; p <= report_.last_position; ++p) {
      auto one = store_.ReadAll(p, 1);
      if (!one.ok()) {
        if (one.status().code() != StatusCode::kCorruption) return one.status();
        Fail(p, one.status().message());
        return Status::Ok();
      }
      if (one.value().empty()) break;
      if (!Check(one.value()[0])) return Status::Ok();
    }
    Fail(next_position_, page_error.message());
    return Status::Ok();
  }

  // Reads pages [from, last] ahead of the checks on its own thread (bounded by
  // kVerifyPagesAhead). The reader stops after an error or an empty page (the
  // checker handles both) or when the checker stops it.
  class PageReader {
   public:
    PageReader(EventStore& store, uint64_t from, uint64_t last)
        : store_(store), next_(from), last_(last), thread_([this] { Run(); }) {}
    ~PageReader() {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
      }
      cv_.notify_all();
      thread_.join();
    }
    // The next page in order (blocks until it is read).
    Result<std::vector<RecordedEvent>> Next() {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return !pages_.empty(); });
      Result<std::vector<RecordedEvent>> page = std::move(pages_.front());
      pages_.pop_front();
      cv_.notify_all();
      return page;
    }

   private:
    void Run() {
      NameThisThread("verify-read");
      while (true) {
        Result<std::vector<RecordedEvent>> page =
            next_ <= last_ ? store_.ReadAll(next_, kVerifyPageSize)
                           : Result<std::vector<RecordedEvent>>(std::vector<RecordedEvent>());
        const bool done = !page.ok() || page.value().empty();
        if (!done) next_ = page.value().back().position + 1;
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return stopping_ || pages_.size() < kVerifyPagesAhead; });
        if (stopping_) return;
        pages_.push_back(std::move(page));
        cv_.notify_all();
        if (done) return;
      }
    }

    EventStore& store_;
    uint64_t next_;
    const uint64_t last_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Result<std::vector<RecordedEvent>>> pages_;
    bool stopping_ = false;
    std::thread thread_;  // last: starts after the members above exist
  };

  Status WalkEvents() {
    std::optional<PageReader> reader;
    reader.emplace(store_, next_position_, report_.last_position);
    while (next_position_ <= report_.last_position) {
      auto page = reader->Next();
      if (!page.ok()) {
        if (page.status().code() != StatusCode::kCorruption) return page.status();
        reader.reset();  // Locate reads by itself
        return Locate(page.status());
      }
      if (page.value().empty()) {
        Fail(next_position_, "log ends at position " + std::to_string(next_position_ - 1) +
                                 " but its last position is " +
                                 std::to_string(report_.last_position));
        return Status::Ok();
      }
      for (const RecordedEvent& e : page.value()) {
        if (e.position > report_.last_position) return Status::Ok();  // appended after we began
        if (!Check(e)) return Status::Ok();
      }
    }
    if (options_.progress) options_.progress(report_.events, report_.last_position);
    return Status::Ok();
  }

  // Index entries must be versions 1..n of each stream, at the positions seen.
  Status WalkIndex() {
    std::string current;
    StreamState seen;
    uint64_t streams_seen = 0;
    std::optional<IndexProblem> problem;
    auto finish = [&]() -> bool {
      if (current.empty()) return true;
      ++streams_seen;
      auto it = streams_.find(current);
      if (it != streams_.end()) it->second.indexed = true;
      if (it == streams_.end() || it->second.last_version != seen.last_version ||
          it->second.digest != seen.digest) {
        problem = IndexProblem{current, "stream index of '" + current + "' disagrees with the events"};
        return false;
      }
      return true;
    };
    Status s = store_.ScanStreamIndex([&](const std::string& stream, uint64_t version,
                                          uint64_t position) {
      if (position > report_.last_position) return true;  // appended after we began
      if (stream != current) {
        if (!finish()) return false;
        current = stream;
        seen = StreamState{};
      }
      if (version != seen.last_version + 1) {
        problem = IndexProblem{stream,
                               "stream index of '" + stream + "' jumps from version " +
                                   std::to_string(seen.last_version) + " to " +
                                   std::to_string(version) + " (at position " +
                                   std::to_string(position) + ")"};
        return false;
      }
      seen.last_version = version;
      seen.digest = Mix(seen.digest, position);
      return true;
    });
    if (!s.ok()) return s;
    if (!problem) (void)finish();  // the last stream; sets `problem` when it disagrees
    if (problem) return AttributeIndexProblem(*problem);
    if (streams_seen != streams_.size()) return AttributeUnindexedStream();
    for (const auto& [stream, st] : streams_) {
      auto head = store_.StreamVersion(stream);
      if (!head.ok()) return head.status();
      if (head.value() < st.last_version) {
        auto position = FindEventPosition(stream, head.value() + 1);
        if (!position.ok()) return position.status();
        Fail(position.value(), "stream head of '" + stream + "' is at version " +
                                   std::to_string(head.value()) + ", behind its events");
        return Status::Ok();
      }
    }
    return Status::Ok();
  }

  // The position of `stream`'s event `version`, found by scanning the events
  // from the stream's first position (error path only); 0 if there is none.
  Result<uint64_t> FindEventPosition(const std::string& stream, uint64_t version) {
    auto it = streams_.find(stream);
    if (it == streams_.end() || version == 0 || version > it->second.last_version) return uint64_t{0};
    uint64_t next = it->second.first_position;
    while (next != 0 && next <= report_.last_position) {
      auto page = store_.ReadAll(next, kVerifyPageSize);
      if (!page.ok()) return page.status();
      if (page.value().empty()) break;
      for (const RecordedEvent& e : page.value()) {
        if (e.stream == stream && e.version == version) return e.position;
        next = e.position + 1;
      }
    }
    return uint64_t{0};
  }

  // Names the first index entry of `problem.stream` that does not point at that
  // stream's event of that version (the position it points at), else the
  // position of the first event the index lacks.
  Status AttributeIndexProblem(const IndexProblem& problem) {
    struct Entry {
      uint64_t version;
      uint64_t position;
    };
    std::vector<Entry> entries;  // of one stream, bounded by its version count
    const uint64_t limit = streams_.count(problem.stream) ? streams_[problem.stream].last_version + 1 : 1;
    Status s = store_.ScanStreamIndex([&](const std::string& stream, uint64_t version,
                                          uint64_t position) {
      if (stream != problem.stream || position > report_.last_position) return true;
      entries.push_back(Entry{version, position});
      return entries.size() <= limit;
    });
    if (!s.ok()) return s;
    uint64_t expected_version = 1;
    for (const Entry& entry : entries) {
      if (entry.version != expected_version) break;  // a gap: attributed below
      auto event = entry.position == 0 ? Result<std::vector<RecordedEvent>>(std::vector<RecordedEvent>{})
                                       : store_.ReadAll(entry.position, 1);
      const bool points_right = event.ok() && !event.value().empty() &&
                                event.value()[0].position == entry.position &&
                                event.value()[0].stream == problem.stream &&
                                event.value()[0].version == entry.version;
      if (!points_right) {
        auto expected = FindEventPosition(problem.stream, entry.version);
        if (!expected.ok()) return expected.status();
        std::string held = "no event of that stream";
        if (event.ok() && !event.value().empty()) {
          held = "'" + event.value()[0].stream + "' version " +
                 std::to_string(event.value()[0].version);
        }
        Fail(entry.position != 0 ? entry.position : expected.value(),
             "stream index of '" + problem.stream + "' version " + std::to_string(entry.version) +
                 " points at position " + std::to_string(entry.position) + ", which holds " +
                 held + "; the event is at position " + std::to_string(expected.value()));
        return Status::Ok();
      }
      ++expected_version;
    }
    auto expected = FindEventPosition(problem.stream, expected_version);
    if (!expected.ok()) return expected.status();
    Fail(expected.value(), problem.reason + "; it lacks version " +
                               std::to_string(expected_version) + " (position " +
                               std::to_string(expected.value()) + ")");
    return Status::Ok();
  }

  // A stream with events but no index entries: its first event's position.
  Status AttributeUnindexedStream() {
    const std::string* stream = nullptr;
    uint64_t first = 0;
    for (const auto& [name, st] : streams_) {
      if (!st.indexed && (stream == nullptr || st.first_position < first)) {
        stream = &name;
        first = st.first_position;
      }
    }
    Fail(first, "the stream index lacks stream '" + (stream ? *stream : std::string()) +
                    "' whose first event is at position " + std::to_string(first));
    return Status::Ok();
  }

  EventStore& store_;
  const VerifyOptions& options_;
  const bool reads_check_hashes_;  // the store recomputed each hash on read
  VerifyReport report_;
  uint64_t next_position_ = 1;
  std::string prev_hash_ = ZeroHash();
  std::unordered_map<std::string, StreamState> streams_;
};

}  // namespace

Result<VerifyReport> VerifyLog(EventStore& store, const VerifyOptions& options) {
  return Verifier(store, options).Run();
}

}  // namespace accrue::events
