#include "events/verify_log.h"

#include <unordered_map>

#include "events/envelope_codec.h"

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
  uint64_t digest = 0;  // Mix over positions in version order
};

class Verifier {
 public:
  Verifier(EventStore& store, const VerifyOptions& options) : store_(store), options_(options) {}

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
    if (ComputeEventHash(e) != e.hash) return Fail(p, "hash does not match the envelope");
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

  Status WalkEvents() {
    while (next_position_ <= report_.last_position) {
      auto page = store_.ReadAll(next_position_, kVerifyPageSize);
      if (!page.ok()) {
        if (page.status().code() != StatusCode::kCorruption) return page.status();
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
    auto finish = [&]() -> bool {
      if (current.empty()) return true;
      ++streams_seen;
      auto it = streams_.find(current);
      if (it == streams_.end() || it->second.last_version != seen.last_version ||
          it->second.digest != seen.digest) {
        return Fail(0, "stream index of '" + current + "' disagrees with the events");
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
        return Fail(position, "stream index of '" + stream + "' jumps to version " +
                                  std::to_string(version));
      }
      seen.last_version = version;
      seen.digest = Mix(seen.digest, position);
      return true;
    });
    if (!s.ok()) return s;
    if (!report_.ok || !finish()) return Status::Ok();
    if (streams_seen != streams_.size()) {
      Fail(0, "the stream index lacks " + std::to_string(streams_.size() - streams_seen) +
                  " stream(s) present in the events");
      return Status::Ok();
    }
    for (const auto& [stream, st] : streams_) {
      auto head = store_.StreamVersion(stream);
      if (!head.ok()) return head.status();
      if (head.value() < st.last_version) {
        Fail(0, "stream head of '" + stream + "' is behind its events");
        return Status::Ok();
      }
    }
    return Status::Ok();
  }

  EventStore& store_;
  const VerifyOptions& options_;
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
