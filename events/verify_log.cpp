#include "events/verify_log.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <memory>
#include <optional>
#include <string_view>
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

// Heterogeneous lookup (find by string_view, no key copy per event).
struct StreamNameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// One page of the walk: the stored bytes and the envelopes decoded from them.
struct Page {
  StoredPage raw;
  std::vector<StoredEnvelopeView> events;  // decoded and hash-checked, in order
  std::deque<RecordedEvent> slow;  // non-canonical envelopes (DecodeStored); `events` views them
  Status error;                    // ends the page after `events` (read or decode error)
  uint64_t error_position = 0;     // key position of the entry that failed; 0: unknown

  void Clear() {
    raw.Clear();
    events.clear();
    slow.clear();
    error = Status::Ok();
    error_position = 0;
  }
  bool Done() const { return !error.ok() || events.empty(); }
};

class Verifier {
 public:
  Verifier(EventStore& store, const VerifyOptions& options) : store_(store), options_(options) {}

  Result<VerifyReport> Run() {
    report_.last_position = store_.LastPosition();
    IndexScan index_scan(store_, report_.last_position);  // pass 2's reading, meanwhile
    std::optional<RecordScan> record_scan;                 // pass 3's reading, meanwhile
    if (options_.check_records) record_scan.emplace(store_);
    if (Status s = WalkEvents(); !s.ok()) return s;
    if (report_.events > 0) report_.head_hash = prev_hash_;
    if (report_.ok) {
      if (Status s = CompareIndex(index_scan); !s.ok()) return s;
    }
    if (report_.ok && record_scan) {
      if (Status s = CompareRecords(*record_scan); !s.ok()) return s;
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

  // Checks one event whose envelope decoded with its hash; false once a
  // problem is recorded.
  bool Check(const StoredEnvelopeView& e) {
    const EnvelopeFields& f = e.fields;
    const uint64_t p = next_position_;
    if (f.position != p) return Fail(p, "position " + std::to_string(p) + " is missing");
    if (f.prev_hash != prev_hash_) return Fail(p, "prev_hash is not the hash of the previous event");
    auto it = streams_.find(f.stream);
    if (it == streams_.end()) it = streams_.emplace(std::string(f.stream), StreamState{}).first;
    StreamState& st = it->second;
    if (f.version != st.last_version + 1) {
      return Fail(p, "stream '" + std::string(f.stream) + "' jumps from version " +
                         std::to_string(st.last_version) + " to " + std::to_string(f.version));
    }
    if (options_.check_payload) {
      if (Status s = options_.check_payload(f); !s.ok()) {
        return Fail(p, "payload of " + std::string(f.type) + " does not decode: " + s.ToString());
      }
    }
    if (f.version == 1) st.first_position = p;
    st.last_version = f.version;
    st.digest = Mix(st.digest, p);
    prev_hash_.assign(e.hash);
    ++next_position_;
    ++report_.events;
    if (options_.progress && report_.events % options_.progress_every == 0) {
      options_.progress(report_.events, report_.last_position);
    }
    return true;
  }

  // Reads the pages of positions [from, last] ahead of the checks on
  // kVerifyReaders threads, and decodes and hashes their envelopes there. Page
  // k holds the positions from + k * kVerifyPageSize on (positions are gapless
  // in a sound log, so each reader knows where its pages start without the
  // others; a gap shifts a page, and the checker, which checks positions one by
  // one, names the first missing one). Reader r reads pages r, r + R, ... with
  // at most kVerifyPagesAhead of them waiting; pages are reused (no allocation
  // per event). A reader stops after a page that ends in an error or is empty,
  // the checker's last page, or when the checker stops them.
  class PageReaders {
   public:
    PageReaders(EventStore& store, uint64_t from, uint64_t last)
        : store_(store), from_(from), last_(last), ready_(kVerifyReaders) {
      for (std::size_t r = 0; r < kVerifyReaders; ++r) threads_.emplace_back([this, r] { Run(r); });
    }
    ~PageReaders() {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
      }
      cv_.notify_all();
      for (std::thread& t : threads_) t.join();
    }
    // The next page in order (blocks until it is read); hand it back with Recycle.
    std::unique_ptr<Page> Next() {
      std::deque<std::unique_ptr<Page>>& queue = ready_[next_page_ % kVerifyReaders];
      ++next_page_;
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return !queue.empty(); });
      std::unique_ptr<Page> page = std::move(queue.front());
      queue.pop_front();
      cv_.notify_all();
      return page;
    }
    void Recycle(std::unique_ptr<Page> page) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        free_.push_back(std::move(page));
      }
      cv_.notify_all();
    }

   private:
    void Fill(uint64_t from, Page* page) {
      page->Clear();
      if (from > last_) return;  // past the end: an empty page
      Status read = store_.ReadStoredPage(from, kVerifyPageSize, &page->raw);
      for (std::size_t i = 0; i < page->raw.entries.size(); ++i) {
        const StoredPage::Entry& entry = page->raw.entries[i];
        if (entry.position > last_) break;  // appended after the walk began
        StoredEnvelopeView view;
        Status error;
        if (!DecodeStoredView(page->raw.At(i), entry.position, &view, &error)) {
          auto decoded = DecodeStored(page->raw.At(i), entry.position);
          if (decoded.ok()) {
            page->slow.push_back(std::move(decoded.value()));
            view = StoredEnvelopeView{FieldsOf(page->slow.back()), page->slow.back().hash};
          } else {
            error = decoded.status();
          }
        }
        if (!error.ok()) {
          page->error = std::move(error);
          page->error_position = entry.position;
          return;
        }
        page->events.push_back(view);
      }
      if (!read.ok()) page->error = std::move(read);
    }

    void Run(std::size_t reader) {
      NameThisThread("verify-read");
      std::deque<std::unique_ptr<Page>>& queue = ready_[reader];
      for (uint64_t k = reader;; k += kVerifyReaders) {
        std::unique_ptr<Page> page;
        {
          std::unique_lock<std::mutex> lock(mutex_);
          cv_.wait(lock, [&] {
            return stopping_ || (queue.size() < kVerifyPagesAhead &&
                                 (!free_.empty() || pages_made_ < kVerifyReaders * (kVerifyPagesAhead + 1)));
          });
          if (stopping_) return;
          if (!free_.empty()) {
            page = std::move(free_.back());
            free_.pop_back();
          } else {
            ++pages_made_;
          }
        }
        if (!page) page = std::make_unique<Page>();
        Fill(from_ + k * kVerifyPageSize, page.get());
        const bool done = page->Done();
        {
          std::lock_guard<std::mutex> lock(mutex_);
          queue.push_back(std::move(page));
        }
        cv_.notify_all();
        if (done) return;
      }
    }

    EventStore& store_;
    const uint64_t from_;
    const uint64_t last_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::deque<std::unique_ptr<Page>>> ready_;  // per reader, in page order
    std::vector<std::unique_ptr<Page>> free_;               // handed back by the checker
    std::size_t pages_made_ = 0;
    uint64_t next_page_ = 0;  // the checker's (only it touches this)
    bool stopping_ = false;
    std::vector<std::thread> threads_;  // last: start after the members above exist
  };

  Status WalkEvents() {
    PageReaders reader(store_, next_position_, report_.last_position);
    while (next_position_ <= report_.last_position) {
      std::unique_ptr<Page> page = reader.Next();
      for (const StoredEnvelopeView& e : page->events) {
        if (e.fields.position > report_.last_position) return Status::Ok();  // appended after we began
        if (!Check(e)) return Status::Ok();
      }
      if (!page->error.ok()) {
        if (page->error.code() != StatusCode::kCorruption) return page->error;
        const uint64_t at = page->error_position != 0 ? page->error_position : next_position_;
        if (at > report_.last_position) return Status::Ok();  // appended after we began
        if (at != next_position_) {
          Fail(next_position_, "position " + std::to_string(next_position_) + " is missing");
        } else {
          Fail(at, page->error.message());
        }
        return Status::Ok();
      }
      if (page->events.empty()) {
        Fail(next_position_, "log ends at position " + std::to_string(next_position_ - 1) +
                                 " but its last position is " +
                                 std::to_string(report_.last_position));
        return Status::Ok();
      }
      reader.Recycle(std::move(page));
    }
    if (options_.progress) options_.progress(report_.events, report_.last_position);
    return Status::Ok();
  }

  // Pass 2's scan of the stream index, on its own thread while pass 1 runs (it
  // needs nothing from pass 1 until the comparison): each stream in index order
  // with its last version and the digest of its positions, up to the first
  // version jump. Memory: one entry per stream.
  class IndexScan {
   public:
    struct Stream {
      std::string name;
      uint64_t last_version = 0;
      uint64_t digest = 0;
    };
    IndexScan(EventStore& store, uint64_t last_position)
        : store_(store), last_position_(last_position), thread_([this] { Run(); }) {}
    ~IndexScan() {
      stop_.store(true, std::memory_order_relaxed);
      if (thread_.joinable()) thread_.join();
    }
    // Waits for the scan; then streams(), jump() and status() are final.
    void Finish() { thread_.join(); }
    const std::vector<Stream>& streams() const { return streams_; }  // complete ones
    const std::optional<IndexProblem>& jump() const { return jump_; }
    const Status& status() const { return status_; }

   private:
    void Run() {
      NameThisThread("verify-index");
      Stream current;
      status_ = store_.ScanStreamIndex([&](const std::string& stream, uint64_t version,
                                           uint64_t position) {
        if (stop_.load(std::memory_order_relaxed)) return false;
        if (position > last_position_) return true;  // appended after we began
        if (stream != current.name) {
          if (!current.name.empty()) streams_.push_back(std::move(current));
          current = Stream{stream, 0, 0};
        }
        if (version != current.last_version + 1) {
          jump_ = IndexProblem{stream, "stream index of '" + stream + "' jumps from version " +
                                           std::to_string(current.last_version) + " to " +
                                           std::to_string(version) + " (at position " +
                                           std::to_string(position) + ")"};
          return false;
        }
        current.last_version = version;
        current.digest = Mix(current.digest, position);
        return true;
      });
      if (!jump_ && !current.name.empty()) streams_.push_back(std::move(current));
    }

    EventStore& store_;
    const uint64_t last_position_;
    std::atomic<bool> stop_{false};
    std::vector<Stream> streams_;
    std::optional<IndexProblem> jump_;
    Status status_;
    std::thread thread_;  // last: starts after the members above exist
  };

  // Pass 3's scan of the claims and the idempotency records, on its own thread
  // while pass 1 runs: the distinct streams that own claims (one claim key each,
  // for the message) and the record that names the highest position. Memory: one
  // entry per owning stream. A store that cannot scan them is not checked.
  class RecordScan {
   public:
    explicit RecordScan(EventStore& store) : store_(store), thread_([this] { Run(); }) {}
    ~RecordScan() {
      stop_.store(true, std::memory_order_relaxed);
      if (thread_.joinable()) thread_.join();
    }
    void Finish() { thread_.join(); }
    const std::unordered_map<std::string, std::string>& owners() const { return owners_; }
    uint64_t claims() const { return claims_; }
    uint64_t records() const { return records_; }
    const std::string& highest_key() const { return highest_key_; }
    uint64_t highest_position() const { return highest_position_; }
    bool checked() const { return checked_; }
    const Status& status() const { return status_; }

   private:
    void Run() {
      NameThisThread("verify-records");
      Status s = store_.ScanClaims([&](const Claim& claim) {
        if (stop_.load(std::memory_order_relaxed)) return false;
        ++claims_;
        owners_.try_emplace(claim.stream, claim.key);
        return true;
      });
      if (s.ok()) {
        s = store_.ScanIdempotency([&](const std::string& key, const IdempotencyLookup& record) {
          if (stop_.load(std::memory_order_relaxed)) return false;
          ++records_;
          if (record.last_position > highest_position_) {
            highest_position_ = record.last_position;
            highest_key_ = key;
          }
          return true;
        });
      }
      if (s.code() == StatusCode::kFailedPrecondition) return;  // this store cannot scan them
      checked_ = s.ok();
      status_ = s;
    }

    EventStore& store_;
    std::atomic<bool> stop_{false};
    std::unordered_map<std::string, std::string> owners_;  // owning stream -> one of its claims
    uint64_t claims_ = 0;
    uint64_t records_ = 0;
    std::string highest_key_;
    uint64_t highest_position_ = 0;
    bool checked_ = false;
    Status status_;
    std::thread thread_;  // last: starts after the members above exist
  };

  // Every claim's owner has events, and no idempotency record names a position
  // past the log's end (a record is written with its events, in one batch). A
  // stream or position that appeared after the walk began is not held against
  // the log. Damage in either table (a block failing its checksum) is kCorruption.
  Status CompareRecords(RecordScan& scan) {
    scan.Finish();
    if (!scan.status().ok()) return scan.status();
    if (!scan.checked()) return Status::Ok();
    report_.claims = scan.claims();
    report_.idempotency_records = scan.records();
    for (const auto& [owner, key] : scan.owners()) {
      if (streams_.count(owner) != 0) continue;
      auto version = store_.StreamVersion(owner);
      if (!version.ok()) return version.status();
      if (version.value() > 0) continue;  // begun after the walk started
      Fail(0, "claim '" + key + "' is owned by stream '" + owner + "', which has no events");
      return Status::Ok();
    }
    if (scan.highest_position() > report_.last_position && store_.LastPosition() < scan.highest_position()) {
      Fail(0, "idempotency record '" + scan.highest_key() + "' names position " +
                  std::to_string(scan.highest_position()) + ", past the log's last position " +
                  std::to_string(report_.last_position));
    }
    return Status::Ok();
  }

  // Index entries must be versions 1..n of each stream, at the positions seen:
  // compares what `scan` found with pass 1's streams, in index order.
  Status CompareIndex(IndexScan& scan) {
    scan.Finish();
    if (!scan.status().ok()) return scan.status();
    for (const IndexScan::Stream& indexed : scan.streams()) {
      auto it = streams_.find(indexed.name);
      if (it != streams_.end()) it->second.indexed = true;
      if (it == streams_.end() || it->second.last_version != indexed.last_version ||
          it->second.digest != indexed.digest) {
        return AttributeIndexProblem(IndexProblem{
            indexed.name, "stream index of '" + indexed.name + "' disagrees with the events"});
      }
    }
    if (scan.jump()) return AttributeIndexProblem(*scan.jump());
    const uint64_t streams_seen = scan.streams().size();
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
  VerifyReport report_;
  uint64_t next_position_ = 1;
  std::string prev_hash_ = ZeroHash();  // of the last event checked
  std::unordered_map<std::string, StreamState, StreamNameHash, std::equal_to<>> streams_;
};

}  // namespace

Result<VerifyReport> VerifyLog(EventStore& store, const VerifyOptions& options) {
  return Verifier(store, options).Run();
}

}  // namespace accrue::events
