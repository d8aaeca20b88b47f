// Aggregate loading: snapshot + tail (engine/aggregate_loader.h).
#include "engine/aggregate_loader.h"

#include "engine/evolve.h"
#include "engine/snapshot_codec.h"
#include "events/assert.h"

namespace accrue::engine::internal {
namespace {

// Folds events [from, end of stream] of `stream` with `fold`; *last = the last
// version folded (from - 1 when there were none).
template <typename Fold>
Status FoldTail(const LoadContext& ctx, const std::string& stream, uint64_t from, Fold fold, uint64_t* last) {
  uint64_t next = from;
  for (;;) {
    auto page = ctx.store->ReadStream(stream, next, kReadPageSize);
    if (!page.ok()) return page.status();
    for (const events::RecordedEvent& r : page.value()) {
      ACCRUE_ASSERT(r.version == next, "stream versions are gapless");
      v1::BillingEvent e;
      ACCRUE_ASSERT(e.ParseFromString(r.payload), "a stored event does not decode");
      fold(e);
      ++next;
    }
    if (page.value().size() < kReadPageSize) break;
  }
  *last = next - 1;
  return Status::Ok();
}

// The shared shape of LoadAccount / LoadCatalog.
template <typename State, typename Decode, typename Fold>
Status Load(const LoadContext& ctx, const std::string& stream, State* state, Loaded* loaded, Decode decode,
            Fold fold) {
  *loaded = Loaded{};
  // The stream head first (one point read): a stream that does not exist yet (an
  // account being opened) needs no snapshot read and no stream iterator.
  auto head = ctx.store->StreamVersion(stream);
  if (!head.ok()) return head.status();
  if (head.value() == events::kNoStream) return Status::Ok();
  auto snapshot = ctx.store->LoadSnapshot(stream);
  Status problem;
  if (!snapshot.ok()) {
    problem = snapshot.status();
  } else if (snapshot.value()) {
    const events::Snapshot& s = *snapshot.value();
    State decoded;
    problem = decode(s.bytes, stream, s.version, &decoded);
    if (problem.ok()) {
      *state = std::move(decoded);
      loaded->snapshot_version = s.version;
    }
  }
  if (!problem.ok()) {  // never trusted: fold the whole stream instead
    ctx.counters->snapshots_rejected++;
    if (ctx.warn) ctx.warn("ignoring the snapshot of '" + stream + "' (full fold): " + problem.ToString());
  }
  uint64_t last = loaded->snapshot_version;
  if (last >= head.value()) {  // the snapshot covers the head: no tail to read
    loaded->version = last;
    ctx.counters->snapshot_loads++;
    return Status::Ok();
  }
  auto counting = [&](const v1::BillingEvent& e) {
    fold(state, e);
    loaded->tail_events++;
  };
  Status s = FoldTail(ctx, stream, loaded->snapshot_version + 1, counting, &last);
  if (!s.ok()) return s;
  loaded->version = last;
  if (loaded->snapshot_version > 0) {
    ctx.counters->snapshot_loads++;
  } else if (last > 0) {
    ctx.counters->full_folds++;
  }
  ctx.counters->events_folded += loaded->tail_events;
  return Status::Ok();
}

}  // namespace

ServiceStats Counters::Read() const {
  ServiceStats s;
  s.snapshot_loads = snapshot_loads.load();
  s.snapshots_rejected = snapshots_rejected.load();
  s.full_folds = full_folds.load();
  s.events_folded = events_folded.load();
  s.snapshots_written = snapshots_written.load();
  s.snapshot_write_failures = snapshot_write_failures.load();
  s.snapshots_dropped = snapshots_dropped.load();
  s.durable_refolds = durable_refolds.load();
  return s;
}

Status LoadAccount(const LoadContext& ctx, const std::string& stream, AccountState* state, Loaded* loaded) {
  return Load(ctx, stream, state, loaded, DecodeAccountSnapshot,
              [](AccountState* s, const v1::BillingEvent& e) { Evolve(s, e); });
}

Status LoadCatalog(const LoadContext& ctx, const std::string& stream, CatalogState* catalog, Loaded* loaded) {
  return Load(ctx, stream, catalog, loaded, DecodeCatalogSnapshot,
              [](CatalogState* c, const v1::BillingEvent& e) { EvolveCatalog(c, e); });
}

}  // namespace accrue::engine::internal
