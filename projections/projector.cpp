#include "projections/projector.h"

#include <memory>
#include <thread>

#include "projections/backoff.h"
#include "projections/batch_writer.h"
#include "projections/event_mapper.h"
#include "projections/migrations.h"
#include "projections/pg_client.h"

namespace accrue::projections {
namespace {

int64_t SystemNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
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
  if (!options_.now_us) options_.now_us = SystemNowUs;
}

Status Projector::Run(ProjectMode mode) {
  EventMapper mapper(store_);
  std::unique_ptr<PgClient> client;
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  bool have_checkpoint = false;
  uint64_t checkpoint = 0;
  int64_t unavailable_since_us = -1;

  // A passing failure: drop the connection, forget cached states, sleep, retry.
  auto retry_later = [&](const Status& s) -> Status {
    mapper.Discard();
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

  while (!(options_.should_stop && options_.should_stop())) {
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
    BatchWriter writer(client.get());
    if (!have_checkpoint) {
      auto cp = writer.ReadCheckpoint();
      if (!cp.ok()) {
        if (cp.status().code() != StatusCode::kUnavailable) return cp.status();
        Status give_up = retry_later(cp.status());
        if (!give_up.ok()) return give_up;
        continue;
      }
      checkpoint = cp.value().position;
      mapper.Reset();
      have_checkpoint = true;
    }

    const uint64_t head = store_->LastPosition();
    if (checkpoint > head) {
      return Status::FailedPrecondition(
          "the read models are at position " + std::to_string(checkpoint) +
          " but the log ends at " + std::to_string(head) + ": a different or truncated log?");
    }
    if (checkpoint == head) {
      progress_.position = checkpoint;
      progress_.head_position = head;
      progress_.lag_events = 0;
      progress_.lag_us = 0;
      if (mode == ProjectMode::kOnce) return Status::Ok();
      std::this_thread::sleep_for(options_.follow_poll);
      continue;
    }

    auto events = store_->ReadAll(checkpoint + 1, options_.batch_events);
    if (!events.ok()) return events.status();
    if (events.value().empty()) {
      std::this_thread::sleep_for(options_.follow_poll);  // a secondary not caught up yet
      continue;
    }
    const auto& batch = events.value();
    ACCRUE_ASSERT(batch.front().position == checkpoint + 1, "ReadAll returned a gap");
    ACCRUE_ASSERT(batch.back().position == checkpoint + batch.size(), "ReadAll returned a gap");

    RowBatch rows;
    Status mapped = mapper.Map(batch, &rows);
    if (!mapped.ok()) {
      mapper.Discard();
      return mapped;
    }
    BatchMeta meta;
    meta.from_position = checkpoint;
    meta.to_position = batch.back().position;
    meta.last_event_at_us = batch.back().recorded_at_us;
    meta.head_position = std::max(head, meta.to_position);
    meta.events = batch.size();
    Status applied = writer.Apply(rows, meta);
    if (!applied.ok()) {
      if (applied.code() == StatusCode::kConflict) {  // the checkpoint moved: start again there
        mapper.Discard();
        have_checkpoint = false;
        continue;
      }
      if (applied.code() != StatusCode::kUnavailable) {
        mapper.Discard();
        return applied;
      }
      Status give_up = retry_later(applied);
      if (!give_up.ok()) return give_up;
      continue;
    }
    mapper.Commit();
    backoff.Reset();
    unavailable_since_us = -1;
    checkpoint = meta.to_position;
    progress_.position = checkpoint;
    progress_.head_position = meta.head_position;
    progress_.lag_events = meta.head_position - checkpoint;
    progress_.lag_us =
        progress_.lag_events == 0 ? 0 : options_.now_us() - meta.last_event_at_us;
    progress_.events_applied += meta.events;
    progress_.rows_written += rows.rows();
    ++progress_.batches;
    if (options_.on_progress) options_.on_progress(progress_);
  }
  return Status::Ok();
}

}  // namespace accrue::projections
