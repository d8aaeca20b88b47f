#include "projections/projector.h"

#include <future>
#include <memory>
#include <optional>
#include <thread>

#include "events/sha256.h"
#include "projections/backoff.h"
#include "projections/batch_writer.h"
#include "projections/sharded_mapper.h"
#include "projections/migrations.h"
#include "projections/pg_client.h"

namespace accrue::projections {
namespace {

int64_t SystemNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t MicrosSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

// One connection with its schema migrated and its staging tables ready.
Result<std::unique_ptr<PgClient>> ConnectReady(const ProjectorOptions& o) {
  auto client = PgClient::Connect(o.pg_url, o.schema);
  if (!client.ok()) return client.status();
  auto migrated = ApplyMigrations(*client.value(), o.schema);
  if (!migrated.ok()) return migrated.status();
  BatchWriter writer(client.value().get());
  Status s = writer.Prepare();
  if (!s.ok()) return s;
  return std::move(client).value();
}

}  // namespace

Projector::Projector(events::EventStore* store, ProjectorOptions options)
    : store_(store), options_(std::move(options)) {
  ACCRUE_ASSERT(options_.batch_events > 0 && options_.batch_events <= kMaxBatchEvents,
                "batch size out of range");
  ACCRUE_ASSERT(options_.map_threads >= 1 && options_.map_threads <= kMaxMapShards,
                "map thread count out of range");
  if (!options_.now_us) options_.now_us = SystemNowUs;
}

namespace {

// Whether the stored checkpoint stands on this log: the event at its position has
// the hash it recorded (kFailedPrecondition otherwise: another log).
Status SameLog(events::EventStore* store, const Checkpoint& cp) {
  if (cp.position == 0 || cp.event_hash_hex.empty()) return Status::Ok();
  if (cp.position > store->LastPosition()) return Status::Ok();  // Run: "ahead of the log"
  auto at = store->ReadAll(cp.position, 1);
  if (!at.ok()) return at.status();
  ACCRUE_ASSERT(!at.value().empty() && at.value().front().position == cp.position, "ReadAll returned a gap");
  const std::string here = events::ToHex(at.value().front().hash);
  if (here == cp.event_hash_hex) return Status::Ok();
  return Status::FailedPrecondition("the read models were projected from another log: the event at position " +
                                    std::to_string(cp.position) + " has hash " + here + " in this log but " +
                                    cp.event_hash_hex + " in Postgres; run --rebuild");
}

// What one turn of RunLoop says: take the next turn, end Run with `status`, or
// stop (should_stop asked for it and nothing is in flight).
struct Step {
  enum class Kind { kNext, kEnd, kStopped };
  Kind kind = Kind::kNext;
  Status status = Status::Ok();
  static Step Next() { return Step{}; }
  static Step End(Status s) { return Step{Kind::kEnd, std::move(s)}; }
  static Step Stopped() { return Step{Kind::kStopped, Status::Ok()}; }
};

// One Projector::Run: the loop's state, and a method per part of a turn.
// Pipelining: batch N commits on a helper thread while batch N+1 is read and
// mapped here. At most one batch is in flight; the PgClient is only used by it then.
// Read-ahead: the next batch is read from the log on a helper thread while this one
// is mapped; used only when it starts where the loop needs it.
class RunLoop {
 public:
  RunLoop(events::EventStore* store, const ProjectorOptions& options, ProjectMode mode,
          ProjectorProgress* progress)
      : store_(store),
        options_(options),
        mode_(mode),
        progress_(*progress),
        mapper_(store, options.map_threads),
        backoff_(options.backoff_initial, options.backoff_max) {}

  Status Run() {
    for (;;) {
      Step step = Turn();
      if (step.kind == Step::Kind::kEnd) return step.status;
      if (step.kind == Step::Kind::kStopped) return Stopped();
    }
  }

 private:
  struct InFlight {
    std::future<Status> done;
    BatchMeta meta;
    std::size_t rows = 0;
  };
  struct Prefetch {
    uint64_t from = 0;
    std::future<Result<std::vector<events::RecordedEvent>>> events;
  };

  Step Turn() {
    const bool stopping = options_.should_stop && options_.should_stop();
    if (stopping && !inflight_) return Step::Stopped();
    if (stopping) return AfterInflight();
    if (!client_) {
      if (std::optional<Step> s = Connect()) return *s;
    }
    if (!have_checkpoint_) {
      if (std::optional<Step> s = ReadCheckpoint()) return *s;
    }
    const uint64_t head = store_->LastPosition();
    const uint64_t from = inflight_ ? inflight_->meta.to_position : checkpoint_;
    if (from > head) {
      return Step::End(Status::FailedPrecondition(
          "the read models are at position " + std::to_string(from) + " but the log ends at " +
          std::to_string(head) + ": a different or truncated log?"));
    }
    if (from == head) return AtHead(head);
    return ReadMapAndSend(head, from);
  }

  // Waits for the batch in flight; ends Run if that failure stops it.
  Step AfterInflight() {
    bool stop = false;
    Status s = FinishInflight(&stop);
    return stop ? Step::End(s) : Step::Next();
  }

  // nullopt: connected, go on with this turn.
  std::optional<Step> Connect() {
    auto connected = ConnectReady(options_);
    if (!connected.ok()) {
      if (connected.status().code() != StatusCode::kUnavailable) return Step::End(connected.status());
      Status give_up = RetryLater(connected.status());
      return give_up.ok() ? Step::Next() : Step::End(give_up);
    }
    client_ = std::move(connected).value();
    ++progress_.reconnects;
    return std::nullopt;
  }

  // nullopt: the checkpoint is read and stands on this log, go on with this turn.
  std::optional<Step> ReadCheckpoint() {
    ACCRUE_ASSERT(!inflight_, "checkpoint re-read with a batch in flight");
    BatchWriter reader(client_.get());
    auto cp = reader.ReadCheckpoint();
    if (!cp.ok()) {
      if (cp.status().code() != StatusCode::kUnavailable) return Step::End(cp.status());
      Status give_up = RetryLater(cp.status());
      return give_up.ok() ? Step::Next() : Step::End(give_up);
    }
    checkpoint_ = cp.value().position;
    if (Status same = SameLog(store_, cp.value()); !same.ok()) return Step::End(same);
    mapper_.Reset();
    have_checkpoint_ = true;
    return std::nullopt;
  }

  // Nothing new in the log: finish the batch in flight, else report caught up and
  // end (kOnce) or poll (kFollow).
  Step AtHead(uint64_t head) {
    if (inflight_) return AfterInflight();
    progress_.position = checkpoint_;
    progress_.head_position = head;
    progress_.lag_events = 0;
    progress_.lag_us = 0;
    if (mode_ == ProjectMode::kOnce) return Step::End(Status::Ok());
    std::this_thread::sleep_for(options_.follow_poll);
    return Step::Next();
  }

  // Reads and maps the events after `from`, then, once the batch in flight has
  // committed, sends their rows to commit on a helper thread.
  Step ReadMapAndSend(uint64_t head, uint64_t from) {
    const auto read_start = std::chrono::steady_clock::now();
    auto events = ReadBatch(from + 1);
    progress_.read_us += MicrosSince(read_start);
    if (events.ok() && !events.value().empty()) StartPrefetch(events.value().back().position + 1);
    if (!events.ok() || events.value().empty()) {
      if (inflight_) {
        bool stop = false;
        Status s = FinishInflight(&stop);
        if (stop) return Step::End(s);
      }
      if (!events.ok()) return Step::End(events.status());
      std::this_thread::sleep_for(options_.follow_poll);  // a secondary not caught up yet
      return Step::Next();
    }
    const auto& batch = events.value();
    ACCRUE_ASSERT(batch.front().position == from + 1, "ReadAll returned a gap");
    ACCRUE_ASSERT(batch.back().position == from + batch.size(), "ReadAll returned a gap");

    auto rows = std::make_shared<RowBatch>();
    const auto map_start = std::chrono::steady_clock::now();
    Status mapped = mapper_.Map(batch, rows.get());
    progress_.map_us += MicrosSince(map_start);
    if (!mapped.ok()) {
      if (inflight_) {
        bool stop = false;
        (void)FinishInflight(&stop);  // commit what came before the bad event
      }
      mapper_.Reset();
      return Step::End(mapped);
    }
    BatchMeta meta;
    meta.from_position = from;
    meta.to_position = batch.back().position;
    meta.last_event_at_us = batch.back().recorded_at_us;
    meta.last_event_hash_hex = events::ToHex(batch.back().hash);
    meta.head_position = std::max(head, meta.to_position);
    meta.events = batch.size();
    if (inflight_) {
      bool stop = false;
      Status s = FinishInflight(&stop);
      if (stop) return Step::End(s);
      if (!s.ok()) return Step::Next();  // this batch's rows were mapped on a discarded base
    }
    PgClient* raw = client_.get();
    InFlight next;
    next.meta = meta;
    next.rows = rows->rows();
    next.done = std::async(std::launch::async, [raw, rows, meta] {
      BatchWriter writer(raw);
      return writer.Apply(*rows, meta);
    });
    inflight_ = std::move(next);
    return Step::Next();
  }

  Result<std::vector<events::RecordedEvent>> ReadBatch(uint64_t from) {
    if (prefetch_ && prefetch_->from == from) {
      auto got = prefetch_->events.get();
      prefetch_.reset();
      return got;
    }
    if (prefetch_) {
      prefetch_->events.wait();
      prefetch_.reset();
    }
    return store_->ReadAll(from, options_.batch_events);
  }

  void StartPrefetch(uint64_t from) {
    if (prefetch_ || from > store_->LastPosition()) return;
    Prefetch next;
    next.from = from;
    events::EventStore* store = store_;
    const std::size_t n = options_.batch_events;
    next.events = std::async(std::launch::async, [store, from, n] { return store->ReadAll(from, n); });
    prefetch_ = std::move(next);
  }

  // A passing failure: drop the connection, forget cached states, sleep, retry.
  Status RetryLater(const Status& s) {
    mapper_.Reset();
    client_.reset();
    have_checkpoint_ = false;
    progress_.last_error = s.ToString();
    const int64_t now = options_.now_us();
    if (unavailable_since_us_ < 0) unavailable_since_us_ = now;
    if (mode_ == ProjectMode::kOnce &&
        now - unavailable_since_us_ >
            std::chrono::duration_cast<std::chrono::microseconds>(options_.once_unavailable_budget).count()) {
      return Status::Unavailable("gave up after " + std::to_string(options_.once_unavailable_budget.count()) +
                                 " s: " + s.message());
    }
    if (options_.on_retry) options_.on_retry(s.ToString());
    std::this_thread::sleep_for(backoff_.Next());
    return Status::Ok();
  }

  // Waits for the batch in flight. Ok: it committed (progress updated). Otherwise
  // `*stop` says whether Run must return the status, or the loop may go on.
  Status FinishInflight(bool* stop) {
    *stop = false;
    const auto wait_start = std::chrono::steady_clock::now();
    Status applied = inflight_->done.get();
    progress_.wait_us += MicrosSince(wait_start);
    const BatchMeta meta = inflight_->meta;
    const std::size_t rows = inflight_->rows;
    inflight_.reset();
    if (!applied.ok()) {
      mapper_.Reset();  // states of this batch and of any batch mapped after it
      // A projector stuck before its first commit is behind, not caught up: the
      // lag it reports (project_stopped, metrics) counts from the log's head.
      progress_.position = checkpoint_;
      progress_.head_position = std::max(progress_.head_position, store_->LastPosition());
      progress_.lag_events = progress_.head_position - checkpoint_;
      if (applied.code() == StatusCode::kConflict) {  // the checkpoint moved: start there
        have_checkpoint_ = false;
        return applied;
      }
      if (applied.code() != StatusCode::kUnavailable) {
        *stop = true;
        return applied;
      }
      Status give_up = RetryLater(applied);
      *stop = !give_up.ok();
      return give_up.ok() ? applied : give_up;
    }
    mapper_.Commit();
    backoff_.Reset();
    unavailable_since_us_ = -1;
    checkpoint_ = meta.to_position;
    progress_.position = checkpoint_;
    progress_.head_position = std::max(meta.head_position, store_->LastPosition());
    progress_.lag_events = progress_.head_position - checkpoint_;
    progress_.lag_us = progress_.lag_events == 0 ? 0 : options_.now_us() - meta.last_event_at_us;
    progress_.events_applied += meta.events;
    progress_.rows_written += rows;
    ++progress_.batches;
    if (options_.on_progress) options_.on_progress(progress_);
    return Status::Ok();
  }

  // Stopped by should_stop (SIGTERM). For --follow that is the normal end; --once
  // promised to reach the head, and a rebuild must not switch to a partial schema
  // (it did until 2026-12-06: `project --rebuild` stopped by SIGTERM exited 0 and
  // switched readers to a schema that held only the batches done so far).
  Status Stopped() const {
    const uint64_t head = store_->LastPosition();
    if (mode_ == ProjectMode::kOnce && (!have_checkpoint_ || checkpoint_ < head)) {
      return Status::Unavailable("stopped before the head of the log: the read models are at position " +
                                 std::to_string(checkpoint_) + " of " + std::to_string(head) +
                                 "; run again to carry on");
    }
    return Status::Ok();
  }

  events::EventStore* store_;
  const ProjectorOptions& options_;
  const ProjectMode mode_;
  ProjectorProgress& progress_;
  ShardedMapper mapper_;
  std::unique_ptr<PgClient> client_;
  Backoff backoff_;
  bool have_checkpoint_ = false;
  uint64_t checkpoint_ = 0;
  int64_t unavailable_since_us_ = -1;
  std::optional<InFlight> inflight_;
  std::optional<Prefetch> prefetch_;
};

}  // namespace

Status Projector::Run(ProjectMode mode) {
  progress_.head_position = store_->LastPosition();  // reported even if Postgres never answers
  RunLoop loop(store_, options_, mode, &progress_);
  return loop.Run();
}

}  // namespace accrue::projections
