#include "events/append_planner.h"

#include <map>

#include "events/envelope_codec.h"

namespace accrue::events {
namespace {

bool BadName(const std::string& name) {
  return name.empty() || name.size() > kMaxNameBytes || name.find('\0') != std::string::npos;
}

AppendResult Failed(Status status) {
  AppendResult r;
  r.outcome = AppendOutcome::kFailed;
  r.status = std::move(status);
  return r;
}

AppendResult Refused(AppendOutcome outcome, std::string detail) {
  AppendResult r;
  r.outcome = outcome;
  r.detail = std::move(detail);
  return r;
}

// Step 2. Returns a result when the key settles the request.
std::optional<AppendResult> CheckIdempotency(const AppendRequest& request, AppendState& state) {
  if (!request.idempotency) return std::nullopt;
  auto found = state.FindIdempotency(request.idempotency->key);
  if (!found.ok()) return Failed(found.status());
  if (!found.value()) return std::nullopt;
  const IdempotencyLookup& stored = *found.value();
  AppendResult r;
  r.outcome = stored.command_hash == request.idempotency->command_hash
                  ? AppendOutcome::kReplayed
                  : AppendOutcome::kKeyReused;
  r.stored_result = stored.result;
  r.last_position = stored.last_position;
  return r;
}

// Step 3: fills `before` with each touched stream's version before this request.
std::optional<AppendResult> CheckVersions(const AppendRequest& request, AppendState& state,
                                          std::map<std::string, uint64_t>* before) {
  std::map<std::string, uint64_t> running;
  for (const StreamAppend& part : request.streams) {
    auto it = running.find(part.stream);
    if (it == running.end()) {
      auto found = state.FindStreamVersion(part.stream);
      if (!found.ok()) return Failed(found.status());
      before->emplace(part.stream, found.value());
      it = running.emplace(part.stream, found.value()).first;
    }
    if (part.expected_version != kAnyVersion && part.expected_version != it->second) {
      return Refused(AppendOutcome::kConflict, part.stream);
    }
    it->second += part.events.size();
  }
  return std::nullopt;
}

// Step 4: fills `fresh` with claims not held yet.
std::optional<AppendResult> CheckClaims(const AppendRequest& request, AppendState& state,
                                        std::vector<Claim>* fresh) {
  std::map<std::string, std::string> in_request;
  for (const Claim& claim : request.claims) {
    auto [it, inserted] = in_request.emplace(claim.key, claim.stream);
    if (!inserted) {
      if (it->second != claim.stream) return Refused(AppendOutcome::kClaimTaken, claim.key);
      continue;
    }
    auto owner = state.FindClaimOwner(claim.key);
    if (!owner.ok()) return Failed(owner.status());
    if (owner.value()) {
      if (*owner.value() != claim.stream) return Refused(AppendOutcome::kClaimTaken, claim.key);
      continue;  // already ours: nothing to write
    }
    fresh->push_back(claim);
  }
  return std::nullopt;
}

}  // namespace

Status ValidateRequest(const AppendRequest& request) {
  std::size_t events = 0;
  for (const StreamAppend& part : request.streams) {
    if (BadName(part.stream)) return Status::InvalidArgument("bad stream name");
    for (const NewEvent& e : part.events) {
      if (e.type.empty() || e.type.size() > kMaxNameBytes) {
        return Status::InvalidArgument("bad event type in stream " + part.stream);
      }
      if (e.payload.size() > kMaxPayloadBytes) {
        return Status::InvalidArgument("payload over kMaxPayloadBytes in stream " + part.stream);
      }
    }
    events += part.events.size();
  }
  if (events > kMaxEventsPerAppend) return Status::InvalidArgument("over kMaxEventsPerAppend events");
  if (request.claims.size() > kMaxClaimsPerAppend) {
    return Status::InvalidArgument("over kMaxClaimsPerAppend claims");
  }
  for (const Claim& c : request.claims) {
    if (BadName(c.key) || BadName(c.stream) || c.value.size() > kMaxClaimValueBytes) {
      return Status::InvalidArgument("bad claim");
    }
  }
  if (request.idempotency) {
    if (BadName(request.idempotency->key)) return Status::InvalidArgument("bad idempotency key");
    if (request.idempotency->result.size() > kMaxResultBytes) {
      return Status::InvalidArgument("idempotency result over kMaxResultBytes");
    }
  }
  return Status::Ok();
}

AppendPlan PlanAppend(const AppendRequest& request, AppendState& state, const LogHead& head,
                      int64_t now_us, PlanPayloads payloads) {
  AppendPlan plan;
  if (Status s = ValidateRequest(request); !s.ok()) {
    plan.result = Failed(std::move(s));
    return plan;
  }
  if (auto r = CheckIdempotency(request, state)) {
    plan.result = std::move(*r);
    return plan;
  }
  std::map<std::string, uint64_t> before;
  if (auto r = CheckVersions(request, state, &before)) {
    plan.result = std::move(*r);
    return plan;
  }
  if (auto r = CheckClaims(request, state, &plan.new_claims)) {
    plan.result = std::move(*r);
    return plan;
  }
  // Step 5: assign positions and versions, seal the chain.
  std::map<std::string, uint64_t> next_version = before;
  uint64_t position = head.position;
  std::string prev_hash = head.hash;
  const std::string idempotency_key = request.idempotency ? request.idempotency->key : "";
  std::size_t total = 0;
  for (const StreamAppend& part : request.streams) total += part.events.size();
  plan.events.reserve(total);
  plan.encoded.reserve(total);
  for (const StreamAppend& part : request.streams) {
    uint64_t& version = next_version[part.stream];
    for (const NewEvent& ne : part.events) {
      RecordedEvent e;
      e.position = ++position;
      e.stream = part.stream;
      e.version = ++version;
      e.type = ne.type;
      e.schema_version = ne.schema_version;
      e.recorded_at_us = now_us;
      e.idempotency_key = idempotency_key;
      e.correlation_id = request.correlation_id;
      e.causation_id = request.causation_id;
      e.prev_hash = std::move(prev_hash);
      EnvelopeFields fields = FieldsOf(e);
      fields.payload = ne.payload;  // sealed from the request: no copy on the writer's path
      plan.encoded.push_back(SealFields(fields, &e.hash));
      if (payloads == PlanPayloads::kKeep) e.payload = ne.payload;
      prev_hash = e.hash;
      plan.events.push_back(std::move(e));
    }
  }
  for (const auto& [stream, last] : next_version) {
    if (last != before[stream]) plan.heads.emplace_back(stream, last);
  }
  plan.record = request.idempotency;
  plan.result.outcome = AppendOutcome::kAppended;
  plan.result.last_position = plan.events.empty() ? 0 : position;
  return plan;
}

}  // namespace accrue::events
