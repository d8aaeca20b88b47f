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

Status Projector::SameLog(const Checkpoint& cp) {
  if (cp.position == 0 || cp.event_hash_hex.empty()) return Status::Ok();
  if (cp.position > store_->LastPosition()) return Status::Ok();  // Run: "ahead of the log"
  auto at = store_->ReadAll(cp.position, 1);
  if (!at.ok()) return at.status();
  ACCRUE_ASSERT(!at.value().empty() && at.value().front().position == cp.position, "ReadAll returned a gap");
  const std::string here = events::ToHex(at.value().front().hash);
  if (here == cp.event_hash_hex) return Status::Ok();
  return Status::FailedPrecondition("the read models were projected from another log: the event at position " +
                                    std::to_string(cp.position) + " has hash " + here + " in this log but " +
                                    cp.event_hash_hex + " in Postgres; run --rebuild");
}

Status Projector::Run(ProjectMode mode) {
  progress_.head_position = store_->LastPosition();  // reported even if Postgres never answers
  ShardedMapper mapper(store_, options_.map_threads);
  std::unique_ptr<PgClient> client;
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  bool have_checkpoint = false;
  uint64_t checkpoint = 0;
  int64_t unavailable_since_us = -1;
  // Pipelining: batch N commits on a helper thread while batch N+1 is read and
  // mapped here. At most one batch is in flight; PgClient is only used by it then.
  struct InFlight {
    std::future<Status> done;
    BatchMeta meta;
    std::size_t rows = 0;
  };
  std::optional<InFlight> inflight;
  // Read-ahead: the next batch is read from the log on a helper thread while this
  // one is mapped. Used only when it starts where the loop needs it.
  struct Prefetch {
    uint64_t from = 0;
    std::future<Result<std::vector<events::RecordedEvent>>> events;
  };
  std::optional<Prefetch> prefetch;
  auto read_batch = [&](uint64_t from) -> Result<std::vector<events::RecordedEvent>> {
    if (prefetch && prefetch->from == from) {
      auto got = prefetch->events.get();
      prefetch.reset();
      return got;
    }
    if (prefetch) {
      prefetch->events.wait();
      prefetch.reset();
    }
    return store_->ReadAll(from, options_.batch_events);
  };
  auto start_prefetch = [&](uint64_t from) {
    if (prefetch || from > store_->LastPosition()) return;
    Prefetch next;
    next.from = from;
    events::EventStore* store = store_;
    const std::size_t n = options_.batch_events;
    next.events = std::async(std::launch::async, [store, from, n] { return store->ReadAll(from, n); });
    prefetch = std::move(next);
  };

  // A passing failure: drop the connection, forget cached states, sleep, retry.
  auto retry_later = [&](const Status& s) -> Status {
    mapper.Reset();
    client.reset();
    have_checkpoint = false;
    progress_.last_error = s.ToString();
    const int64_t now = options_.now_us();
    if (unavailable_since_us < 0) unavailable_since_us = now;
    if (mode == ProjectMode::kOnce &&
        now - unavailable_since_us >
            std::chrono::duration_cast<std::chrono::microseconds>(options_.once_unavailable_budget)
                .count()) {
      return Status::Unavailable("gave up after " +
                                 std::to_string(options_.once_unavailable_budget.count()) +
                                 " s: " + s.message());
    }
    if (options_.on_retry) options_.on_retry(s.ToString());
    std::this_thread::sleep_for(backoff.Next());
    return Status::Ok();
  };

  // Waits for the batch in flight. Ok: it committed (progress updated). Otherwise
  // `*stop` says whether Run must return the status, or the loop may go on.
  auto finish_inflight = [&](bool* stop) -> Status {
    *stop = false;
    const auto wait_start = std::chrono::steady_clock::now();
    Status applied = inflight->done.get();
    progress_.wait_us += MicrosSince(wait_start);
    const BatchMeta meta = inflight->meta;
    const std::size_t rows = inflight->rows;
    inflight.reset();
    if (!applied.ok()) {
      mapper.Reset();  // states of this batch and of any batch mapped after it
      // A projector stuck before its first commit is behind, not caught up: the
      // lag it reports (project_stopped, metrics) counts from the log's head.
      progress_.position = checkpoint;
      progress_.head_position = std::max(progress_.head_position, store_->LastPosition());
      progress_.lag_events = progress_.head_position - checkpoint;
      if (applied.code() == StatusCode::kConflict) {  // the checkpoint moved: start there
        have_checkpoint = false;
        return applied;
      }
      if (applied.code() != StatusCode::kUnavailable) {
        *stop = true;
        return applied;
      }
      Status give_up = retry_later(applied);
      *stop = !give_up.ok();
      return give_up.ok() ? applied : give_up;
    }
    mapper.Commit();
    backoff.Reset();
    unavailable_since_us = -1;
    checkpoint = meta.to_position;
    progress_.position = checkpoint;
    progress_.head_position = std::max(meta.head_position, store_->LastPosition());
    progress_.lag_events = progress_.head_position - checkpoint;
    progress_.lag_us =
        progress_.lag_events == 0 ? 0 : options_.now_us() - meta.last_event_at_us;
    progress_.events_applied += meta.events;
    progress_.rows_written += rows;
    ++progress_.batches;
    if (options_.on_progress) options_.on_progress(progress_);
    return Status::Ok();
  };

  while (true) {
    const bool stopping = options_.should_stop && options_.should_stop();
    if (stopping && !inflight) break;
    if (inflight && stopping) {
      bool stop = false;
      Status s = finish_inflight(&stop);
      if (stop) return s;
      continue;
    }
    if (!client) {
      auto connected = ConnectReady(options_);
      if (!connected.ok()) {
        if (connected.status().code() != StatusCode::kUnavailable) return connected.status();
        Status give_up = retry_later(connected.status());
        if (!give_up.ok()) return give_up;
        continue;
      }
      client = std::move(connected).value();
      ++progress_.reconnects;
    }
    if (!have_checkpoint) {
      ACCRUE_ASSERT(!inflight, "checkpoint re-read with a batch in flight");
      BatchWriter reader(client.get());
      auto cp = reader.ReadCheckpoint();
      if (!cp.ok()) {
        if (cp.status().code() != StatusCode::kUnavailable) return cp.status();
        Status give_up = retry_later(cp.status());
        if (!give_up.ok()) return give_up;
        continue;
      }
      checkpoint = cp.value().position;
      if (Status same = SameLog(cp.value()); !same.ok()) return same;
      mapper.Reset();
      have_checkpoint = true;
    }

    const uint64_t head = store_->LastPosition();
    const uint64_t from = inflight ? inflight->meta.to_position : checkpoint;
    if (from > head) {
      return Status::FailedPrecondition(
          "the read models are at position " + std::to_string(from) + " but the log ends at " +
          std::to_string(head) + ": a different or truncated log?");
    }
    if (from == head) {
      if (inflight) {
        bool stop = false;
        Status s = finish_inflight(&stop);
        if (stop) return s;
        continue;
      }
      progress_.position = checkpoint;
      progress_.head_position = head;
      progress_.lag_events = 0;
      progress_.lag_us = 0;
      if (mode == ProjectMode::kOnce) return Status::Ok();
      std::this_thread::sleep_for(options_.follow_poll);
      continue;
    }

    const auto read_start = std::chrono::steady_clock::now();
    auto events = read_batch(from + 1);
    progress_.read_us += MicrosSince(read_start);
    if (events.ok() && !events.value().empty()) start_prefetch(events.value().back().position + 1);
    if (!events.ok() || events.value().empty()) {
      if (inflight) {
        bool stop = false;
        Status s = finish_inflight(&stop);
        if (stop) return s;
      }
      if (!events.ok()) return events.status();
      std::this_thread::sleep_for(options_.follow_poll);  // a secondary not caught up yet
      continue;
    }
    const auto& batch = events.value();
    ACCRUE_ASSERT(batch.front().position == from + 1, "ReadAll returned a gap");
    ACCRUE_ASSERT(batch.back().position == from + batch.size(), "ReadAll returned a gap");

    auto rows = std::make_shared<RowBatch>();
    const auto map_start = std::chrono::steady_clock::now();
    Status mapped = mapper.Map(batch, rows.get());
    progress_.map_us += MicrosSince(map_start);
    if (!mapped.ok()) {
      if (inflight) {
        bool stop = false;
        (void)finish_inflight(&stop);  // commit what came before the bad event
      }
      mapper.Reset();
      return mapped;
    }
    BatchMeta meta;
    meta.from_position = from;
    meta.to_position = batch.back().position;
    meta.last_event_at_us = batch.back().recorded_at_us;
    meta.last_event_hash_hex = events::ToHex(batch.back().hash);
    meta.head_position = std::max(head, meta.to_position);
    meta.events = batch.size();
    if (inflight) {
      bool stop = false;
      Status s = finish_inflight(&stop);
      if (stop) return s;
      if (!s.ok()) continue;  // this batch's rows were mapped on a discarded base
    }
    PgClient* raw = client.get();
    InFlight next;
    next.meta = meta;
    next.rows = rows->rows();
    next.done = std::async(std::launch::async, [raw, rows, meta] {
      BatchWriter writer(raw);
      return writer.Apply(*rows, meta);
    });
    inflight = std::move(next);
  }
  // Stopped by should_stop (SIGTERM). For --follow that is the normal end; --once
  // promised to reach the head, and a rebuild must not switch to a partial schema
  // (it did until 2026-12-06: `project --rebuild` stopped by SIGTERM exited 0 and
  // switched readers to a schema that held only the batches done so far).
  const uint64_t head = store_->LastPosition();
  if (mode == ProjectMode::kOnce && (!have_checkpoint || checkpoint < head)) {
    return Status::Unavailable("stopped before the head of the log: the read models are at position " +
                               std::to_string(checkpoint) + " of " + std::to_string(head) +
                               "; run again to carry on");
  }
  return Status::Ok();
}

}  // namespace accrue::projections
