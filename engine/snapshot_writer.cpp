// SnapshotWriter (engine/snapshot_writer.h).
#include "engine/snapshot_writer.h"

#include "engine/snapshot_codec.h"

namespace accrue::engine::internal {

SnapshotWriter::SnapshotWriter(LoadContext ctx) : ctx_(std::move(ctx)) {
  thread_ = std::thread([this] { Loop(); });
}

SnapshotWriter::~SnapshotWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void SnapshotWriter::Request(StreamKind kind, const std::string& stream) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queued_.count(stream) != 0) return;
    if (queue_.size() >= kMaxQueuedSnapshots) {
      ctx_.counters->snapshots_dropped++;
      return;
    }
    queued_.insert(stream);
    queue_.emplace_back(kind, stream);
  }
  wake_.notify_one();
}

void SnapshotWriter::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void SnapshotWriter::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and every request is done
    auto [kind, stream] = std::move(queue_.front());
    queue_.pop_front();
    queued_.erase(stream);  // a request arriving from now on is served again
    busy_ = true;
    lock.unlock();
    Write(kind, stream);
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

void SnapshotWriter::Write(StreamKind kind, const std::string& stream) {
  // The writer's own loads are not the service's loads (ServiceStats counts
  // those), so they count into load_counters_.
  LoadContext load = ctx_;
  load.counters = &load_counters_;
  Loaded loaded;
  std::string bytes;
  if (kind == StreamKind::kAccount) {
    AccountState state;
    Status s = LoadAccount(load, stream, &state, &loaded);
    if (!s.ok() || loaded.version == loaded.snapshot_version) return;  // nothing new
    bytes = EncodeAccountSnapshot(stream, loaded.version, state);
  } else {
    CatalogState catalog;
    Status s = LoadCatalog(load, stream, &catalog, &loaded);
    if (!s.ok() || loaded.version == loaded.snapshot_version) return;
    bytes = EncodeCatalogSnapshot(stream, loaded.version, catalog);
  }
  Status saved = ctx_.store->SaveSnapshot(stream, events::Snapshot{loaded.version, std::move(bytes)});
  if (saved.ok()) {
    ctx_.counters->snapshots_written++;
  } else {
    ctx_.counters->snapshot_write_failures++;
    // FailedPrecondition: a read-only store (`accrue inspect`); nothing to warn about.
    if (ctx_.warn && saved.code() != StatusCode::kFailedPrecondition) ctx_.warn("could not save the snapshot of '" + stream + "': " + saved.ToString());
  }
}

}  // namespace accrue::engine::internal
