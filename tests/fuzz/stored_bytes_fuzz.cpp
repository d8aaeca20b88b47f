// libFuzzer target for the other side of the disk: every decoder that reads bytes
// accrue stored (envelopes, billing payloads, account and catalog snapshots, the
// claim / idempotency / stream index / snapshot record values) must answer a
// status for damaged bytes, never crash, assert or read out of bounds
// (docs/event-log-format.md "Failure modes", engine/snapshot_codec.h: "nothing here
// asserts on stored bytes").
//
// Sound inputs to start from: at start-up every scenario of tests/scenarios is
// posted through a CommandService on the in-memory store (one tenant per file,
// snapshots every few events), plus kExtraLines (saturated D-31 periods, changes,
// cancels, usage, payments); the sealed envelopes and saved snapshots are kept,
// with each tenant's catalog for the commands that follow a decoded account. An
// input picks a target and a base, then a short program of byte edits (xor,
// insert, erase, truncate) damages it; two targets take the input's bytes as they
// are. Beyond "no crash, no sanitizer report" it checks, for every input:
//  - envelopes: DecodeStored (the hand-written canonical path first) accepts
//    exactly what a reference built on protobuf's parser accepts (position,
//    version, stream, 32-byte hashes, the hash over the stored prefix or over
//    the canonical re-encoding), with the same fields; what the canonical
//    decoder accepts, protobuf accepts with the same fields; an unedited base
//    decodes; an accepted envelope's payload goes through the payload check;
//  - payloads: the wire walk vouches only for payloads the reference check
//    accepts, and CheckBillingPayload answers as the reference does;
//  - snapshots: an unedited base decodes; a snapshot that decodes renders as
//    contract JSON, re-encodes to bytes that decode again to the same
//    encoding (a fixed point), and holds the invariants the decoder promises
//    (credit >= 0, totals = sum of lines, receivable = open amount_due, status
//    agrees with amount_due, 0 <= refunded <= amount per payment); then the
//    next commands (usage, a plan change and a cancel on one of its
//    subscriptions, bill runs, a payment, a refund, a reversal, a credit note,
//    a void or write-off, closing; for a catalog, a new account subscribing,
//    changing and canceling) decide and evolve on it without an assertion;
//  - record values: what decodes re-encodes to the same bytes.
// Build and run: scripts/fuzz.sh [seconds] stored_bytes_fuzz.
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/log_payload_check.h"
#include "engine/calendar.h"
#include "engine/command.h"
#include "engine/decide.h"
#include "engine/event_codec.h"
#include "engine/evolve.h"
#include "engine/json.h"
#include "engine/service.h"
#include "engine/snapshot_codec.h"
#include "engine/state_json.h"
#include "events/envelope_codec.h"
#include "events/event_store.h"
#include "events/keys.h"
#include "events/sha256.h"
#include "invariants/account_invariants.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace events = accrue::events;
namespace engine = accrue::engine;

constexpr uint64_t kSnapshotEveryEvents = 7;  // many snapshots from few commands
constexpr std::size_t kMaxBasesPerType = 48;  // envelopes kept per event type
constexpr std::size_t kMaxEdits = 24;         // byte edits applied to one base
constexpr std::size_t kEditBytes = 4;         // op, offset (2 bytes), value
constexpr std::size_t kKnobBytes = 16;        // choices of the commands after a decode

struct StoredSnapshot {
  std::string tenant;
  std::string stream;
  uint64_t version = 0;
  std::string bytes;
};

struct Bases {
  std::map<std::string, engine::CatalogState> catalogs_by_tenant;
  std::vector<events::RecordedEvent> envelopes;  // sound, sealed
  std::vector<StoredSnapshot> accounts;
  std::vector<StoredSnapshot> catalogs;
  std::vector<std::string> types;  // every event type seen
};

Bases* g_bases = nullptr;

bool IsCatalogStream(const std::string& stream) {
  return stream.size() > 8 && stream.compare(stream.size() - 8, 8, "/catalog") == 0;
}

// A tenant the scenarios do not cover: plans whose period saturates (D-31: 10^23
// years, exactly 10^16 months, 833,333,333,333,334 years), enough plans for a
// catalog snapshot, and accounts on them with changes, cancels, usage and money.
const char* const kExtraTenant = "fuzz-extra";
const std::vector<std::string> kExtraLines = {
    R"({"command":"publish_plan","idempotency_key":"x1","plan_id":"m1","currency":"USD","interval":"month","amount":"10.00","meters":[{"meter":"api_calls","unit_price":"0.001"}]})",
    R"({"command":"publish_plan","idempotency_key":"x2","plan_id":"y1","currency":"USD","interval":"year","amount":"100.00","meters":[]})",
    R"({"command":"publish_plan","idempotency_key":"x3","plan_id":"big","currency":"USD","interval":"year","interval_count":100000000000000000000000,"amount":"5.00","meters":[{"meter":"api_calls","unit_price":"0.01"}]})",
    R"({"command":"publish_plan","idempotency_key":"x4","plan_id":"exact","currency":"USD","interval":"month","interval_count":10000000000000000,"amount":"1.00","meters":[]})",
    R"({"command":"publish_plan","idempotency_key":"x5","plan_id":"near","currency":"USD","interval":"year","interval_count":833333333333334,"amount":"1.00","meters":[]})",
    R"({"command":"publish_plan","idempotency_key":"x6","plan_id":"m3","currency":"USD","interval":"month","interval_count":3,"amount":"30.00","meters":[{"meter":"storage_gb","unit_price":"0.25"}]})",
    R"({"command":"publish_plan","idempotency_key":"x7","plan_id":"eur","currency":"EUR","interval":"month","amount":"9.00","meters":[]})",
    R"({"command":"publish_plan","idempotency_key":"x8","plan_id":"jpy","currency":"JPY","interval":"month","amount":"1000","meters":[]})",
    R"({"command":"publish_plan","idempotency_key":"x8b","plan_id":"m2","currency":"USD","interval":"month","amount":"20.00","meters":[{"meter":"storage_gb","unit_price":"0.25"}]})",
    R"({"command":"publish_plan","idempotency_key":"x8c","plan_id":"y2","currency":"USD","interval":"year","amount":"150.00","meters":[{"meter":"api_calls","unit_price":"0.002"}]})",
    R"({"command":"open_account","idempotency_key":"x9","account_id":"a1","currency":"USD","timezone":"America/New_York"})",
    R"({"command":"subscribe","idempotency_key":"x10","subscription_id":"s1","account_id":"a1","plan_id":"big","start":"2024-01-31T15:00:00Z"})",
    R"({"command":"subscribe","idempotency_key":"x11","subscription_id":"s2","account_id":"a1","plan_id":"m1","quantity":2,"start":"2024-01-31T15:00:00Z"})",
    R"({"command":"record_usage","idempotency_key":"x12","usage_id":"u1","subscription_id":"s1","meter":"api_calls","quantity":"12.5","at":"2024-02-03T10:00:00Z"})",
    R"({"command":"record_usage","idempotency_key":"x13","usage_id":"u2","subscription_id":"s2","meter":"api_calls","quantity":"1000","at":"2024-02-04T10:00:00Z"})",
    R"({"command":"change_subscription","idempotency_key":"x14","subscription_id":"s2","plan_id":"m2","effective":"2024-03-15T00:00:00Z"})",
    R"({"command":"run_billing","idempotency_key":"x15","account_id":"a1","as_of":"2024-04-01T00:00:00Z"})",
    R"({"command":"record_payment","idempotency_key":"x16","payment_id":"xp1","account_id":"a1","amount":"50.00","currency":"USD","received_at":"2024-04-02T09:00:00Z","external_ref":"x"})",
    R"({"command":"cancel_subscription","idempotency_key":"x17","subscription_id":"s1","effective":"2024-05-20T00:00:00Z","mode":"end_of_period"})",
    R"({"command":"cancel_subscription","idempotency_key":"x18","subscription_id":"s2","effective":"2024-05-20T00:00:00Z","mode":"immediate"})",
    R"({"command":"run_billing","idempotency_key":"x19","account_id":"a1","as_of":"2024-07-01T00:00:00Z"})",
    R"({"command":"open_account","idempotency_key":"x20","account_id":"a2","currency":"USD","timezone":"Pacific/Kiritimati"})",
    R"({"command":"subscribe","idempotency_key":"x21","subscription_id":"s3","account_id":"a2","plan_id":"exact","start":"2024-02-29T12:00:00Z"})",
    R"({"command":"subscribe","idempotency_key":"x22","subscription_id":"s4","account_id":"a2","plan_id":"near","start":"2024-02-29T12:00:00Z"})",
    R"({"command":"subscribe","idempotency_key":"x23","subscription_id":"s5","account_id":"a2","plan_id":"y1","start":"2024-02-29T12:00:00Z"})",
    R"({"command":"run_billing","idempotency_key":"x24","account_id":"a2","as_of":"2024-03-01T00:00:00Z"})",
    R"({"command":"change_subscription","idempotency_key":"x25","subscription_id":"s5","plan_id":"y2","effective":"2024-06-30T00:00:00Z"})",
    R"({"command":"cancel_subscription","idempotency_key":"x26","subscription_id":"s4","effective":"2024-06-30T00:00:00Z","mode":"end_of_period"})",
    R"({"command":"run_billing","idempotency_key":"x27","account_id":"a2","as_of":"2024-08-01T00:00:00Z"})",
    R"({"command":"record_payment","idempotency_key":"x28","payment_id":"xp2","account_id":"a2","amount":"500.00","currency":"USD","received_at":"2024-08-02T09:00:00Z","external_ref":"y"})",
    R"({"command":"refund_payment","idempotency_key":"x29","refund_id":"xr1","payment_id":"xp2","amount":"5.00"})",
};

// Posts every scenario and kExtraLines into an in-memory store and keeps what it stored.
Bases* BuildBases() {
  auto bases = std::make_unique<Bases>();
  int64_t now_us = 1'700'000'000'000'000;
  auto store = events::NewMemoryEventStore([&now_us] { return now_us += 1000; });
  {
    engine::ServiceOptions options;
    options.snapshot_every_events = kSnapshotEveryEvents;
    options.warn = [](std::string_view) {};
    engine::CommandService service(store.get(), options);
    for (const auto& entry : std::filesystem::directory_iterator(ACCRUE_SCENARIO_DIR)) {
      const std::string name = entry.path().filename().string();
      if (name.size() < 6 || name.compare(name.size() - 6, 6, ".jsonl") != 0 ||
          name.find(".results.") != std::string::npos) {
        continue;
      }
      const std::string tenant = name.substr(0, name.find('.'));
      std::ifstream in(entry.path());
      std::string line;
      while (std::getline(in, line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        (void)service.Submit(tenant, line, std::nullopt).get();
      }
    }
    for (const std::string& line : kExtraLines) {
      const engine::CommandOutcome outcome = service.Submit(kExtraTenant, line, std::nullopt).get();
      if (outcome.status != engine::OutcomeStatus::kAccepted) {
        std::fprintf(stderr, "stored_bytes_fuzz: extra line refused: %s\n",
                     outcome.result_json.c_str());
        std::abort();
      }
    }
    service.FlushSnapshots();
  }
  auto all = store->ReadAll(1, store->LastPosition());
  FUZZ_CHECK(all.ok());
  std::map<std::string, std::size_t> per_type;
  std::map<std::string, bool> streams;
  for (const events::RecordedEvent& e : all.value()) {
    streams[e.stream] = true;
    if (IsCatalogStream(e.stream)) {  // each tenant's plans, folded as the service does
      engine::v1::BillingEvent event;
      FUZZ_CHECK(event.ParseFromString(e.payload));
      engine::EvolveCatalog(&bases->catalogs_by_tenant[e.stream.substr(0, e.stream.find('/'))],
                            event);
    }
    std::size_t& n = per_type[e.type];
    if (n == 0) bases->types.push_back(e.type);
    if (n++ < kMaxBasesPerType) bases->envelopes.push_back(e);
  }
  for (const auto& [stream, unused] : streams) {
    auto snapshot = store->LoadSnapshot(stream);
    FUZZ_CHECK(snapshot.ok());
    if (!snapshot.value()) continue;
    StoredSnapshot s{stream.substr(0, stream.find('/')), stream, snapshot.value()->version,
                     snapshot.value()->bytes};
    (IsCatalogStream(stream) ? bases->catalogs : bases->accounts).push_back(std::move(s));
  }
  FUZZ_CHECK(!bases->envelopes.empty() && !bases->accounts.empty() && !bases->catalogs.empty());
  std::fprintf(
      stderr,
      "stored_bytes_fuzz: %zu envelopes of %zu types, %zu account and %zu catalog snapshots\n",
      bases->envelopes.size(), bases->types.size(), bases->accounts.size(), bases->catalogs.size());
  return bases.release();
}

// Reads the input front to back; past the end every read is 0.
class Input {
 public:
  Input(const uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  uint8_t Byte() { return at_ < size_ ? data_[at_++] : 0; }
  uint16_t U16() {
    const uint16_t low = Byte();  // two statements: the order of the reads is fixed
    return static_cast<uint16_t>(low | (Byte() << 8));
  }
  std::size_t Left() const { return size_ - at_; }
  std::string_view Rest() {
    std::string_view rest(reinterpret_cast<const char*>(data_ + at_), size_ - at_);
    at_ = size_;
    return rest;
  }

 private:
  const uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

// Applies the rest of the input to *bytes as edits; returns how many changed it.
std::size_t Damage(Input* in, std::string* bytes) {
  std::size_t edits = 0;
  for (std::size_t i = 0; i < kMaxEdits && in->Left() >= kEditBytes; ++i) {
    const uint8_t op = in->Byte() % 4;
    const std::size_t where = in->U16();
    const uint8_t value = in->Byte();
    const std::size_t size = bytes->size();
    switch (op) {
      case 0:
        if (size == 0 || value == 0) break;
        (*bytes)[where % size] = static_cast<char>((*bytes)[where % size] ^ value);
        ++edits;
        break;
      case 1:
        bytes->insert(bytes->begin() + static_cast<std::ptrdiff_t>(where % (size + 1)),
                      static_cast<char>(value));
        ++edits;
        break;
      case 2:
        if (size == 0) break;
        bytes->erase(where % size, 1 + value % 8);
        ++edits;
        break;
      default:
        if (where % (size + 1) == size) break;
        bytes->resize(where % (size + 1));
        ++edits;
        break;
    }
  }
  return edits;
}

bool SameFields(const events::RecordedEvent& a, const events::RecordedEvent& b) {
  return a.position == b.position && a.stream == b.stream && a.version == b.version &&
         a.type == b.type && a.schema_version == b.schema_version &&
         a.recorded_at_us == b.recorded_at_us && a.idempotency_key == b.idempotency_key &&
         a.correlation_id == b.correlation_id && a.causation_id == b.causation_id &&
         a.payload == b.payload && a.prev_hash == b.prev_hash && a.hash == b.hash;
}

void CheckPayload(const events::EnvelopeFields& fields) {
  namespace internal = accrue::app::payload_check_internal;
  const bool vouched = internal::WireWalkVouches(fields.type, fields.payload);
  const accrue::Status reference = internal::ReferenceCheck(fields);
  if (vouched) FUZZ_CHECK(reference.ok());
  FUZZ_CHECK(accrue::app::CheckBillingPayload(fields).ok() == reference.ok());
}

// What DecodeStored must answer, from protobuf's parser alone (envelope_codec.h:
// "DecodeWithProtobuf is the reference"): accepted, and the event, or refused.
std::optional<events::RecordedEvent> ReferenceDecode(std::string_view bytes, uint64_t position) {
  constexpr std::size_t kHashRecordBytes = 34;  // tag 0x62, length 0x20, 32 bytes
  events::RecordedEvent e;
  e.schema_version = 0;
  if (!events::internal::DecodeWithProtobuf(bytes, &e)) return std::nullopt;
  if ((position != 0 && e.position != position) || e.version == 0 || e.stream.empty() ||
      e.prev_hash.size() != 32 || e.hash.size() != 32) {
    return std::nullopt;
  }
  const bool hash_record_last = bytes.size() >= kHashRecordBytes &&
                                bytes[bytes.size() - kHashRecordBytes] == 0x62 &&
                                bytes[bytes.size() - kHashRecordBytes + 1] == 0x20;
  if (hash_record_last &&
      events::Sha256(e.prev_hash, bytes.substr(0, bytes.size() - kHashRecordBytes)) == e.hash) {
    return e;
  }
  if (events::ComputeEventHash(e) == e.hash) return e;
  return std::nullopt;
}

void CheckEnvelope(std::string_view bytes, uint64_t position, bool must_decode) {
  auto decoded = events::DecodeStored(bytes, position);
  if (must_decode) FUZZ_CHECK(decoded.ok());
  const std::optional<events::RecordedEvent> reference = ReferenceDecode(bytes, position);
  FUZZ_CHECK(reference.has_value() == decoded.ok());
  if (decoded.ok()) FUZZ_CHECK(SameFields(*reference, decoded.value()));
  // Both start from protobuf's defaults (RecordedEvent's schema_version is 1):
  // the internal decoders leave fields absent from the bytes as they were.
  events::RecordedEvent canonical, parsed;
  canonical.schema_version = parsed.schema_version = 0;
  if (events::internal::DecodeCanonical(bytes, &canonical)) {
    FUZZ_CHECK(events::internal::DecodeWithProtobuf(bytes, &parsed));
    FUZZ_CHECK(SameFields(canonical, parsed));
  }
  if (!decoded.ok()) return;
  // (The hash of an accepted envelope was checked by ReferenceDecode above.)
  CheckPayload(events::FieldsOf(decoded.value()));
}

// A command line for the decoded account, decoded as the service would; nullopt
// when a damaged id makes it a line the decoder refuses.
std::optional<engine::Command> CommandFor(const std::string& json) {
  engine::JsonValue object;
  std::string error;
  if (!engine::ParseJsonObjectLine(json, &object, &error)) return std::nullopt;
  auto command = engine::DecodeCommand(object);
  if (!std::holds_alternative<engine::Command>(command)) return std::nullopt;
  return std::get<engine::Command>(std::move(command));
}

std::string Quoted(const std::string& text) {
  std::string out = "\"";
  for (char ch : text) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (static_cast<unsigned char>(ch) < 0x20) continue;
    out += ch;
  }
  return out + "\"";
}

// Folds `result`'s events onto a copy of *state (evolve asserts what it relies on).
void Apply(const engine::DecideResult& result, engine::AccountState* state) {
  if (const auto* decision = std::get_if<engine::Decision>(&result)) {
    for (const auto& event : decision->events) engine::Evolve(state, event);
  }
}

// A decoded snapshot is folded on: the next commands decide against it and their
// events evolve it. None of that may assert, whatever the snapshot said.
void DecideOn(const engine::AccountState& decoded, const engine::CatalogState& catalog, Input* in) {
  const std::string id = Quoted(decoded.account_id);
  const std::string currency = Quoted(std::string(decoded.currency.code));
  // A business time: the scenarios run 2023-2026; a byte moves it by months.
  const int64_t day_us = int64_t{86'400'000'000};
  const engine::Instant as_of{int64_t{1'672'531'200'000'000} + in->Byte() * 30 * day_us};
  engine::AccountState state = decoded;
  Apply(engine::DecideBillRun(state, as_of), &state);
  engine::DecideContext context;
  context.catalog = &catalog;
  context.account = &state;
  context.claim_taken = [](std::string_view, const std::string&) { return false; };
  std::vector<std::string> lines;
  if (!state.subscriptions.empty()) {  // usage, a change and a cancel on one of its subscriptions
    const engine::Subscription& sub = state.subscriptions[in->Byte() % state.subscriptions.size()];
    const auto& meters = sub.Latest().terms.meters;
    const std::string meter = meters.empty() ? "m" : meters[in->Byte() % meters.size()].meter;
    const std::string when =
        Quoted(engine::FormatInstant(engine::Instant{as_of.micros + in->Byte() * 5 * day_us}));
    lines.push_back(
        "{\"command\":\"record_usage\",\"idempotency_key\":\"f7\",\"usage_id\":\"fuzz-u\","
        "\"subscription_id\":" +
        Quoted(sub.subscription_id) + ",\"meter\":" + Quoted(meter) + ",\"quantity\":\"" +
        std::to_string(1 + in->Byte()) + ".5\",\"at\":" + when + "}");
    if (!catalog.plans.empty()) {
      auto plan = catalog.plans.begin();
      std::advance(plan, in->Byte() % catalog.plans.size());
      lines.push_back(
          "{\"command\":\"change_subscription\",\"idempotency_key\":\"f8\",\"subscription_id\":" +
          Quoted(sub.subscription_id) + ",\"plan_id\":" + Quoted(plan->first) +
          ",\"effective\":" + when + "}");
    }
    lines.push_back(
        "{\"command\":\"cancel_subscription\",\"idempotency_key\":\"f9\",\"subscription_id\":" +
        Quoted(sub.subscription_id) + ",\"effective\":" + when + ",\"mode\":\"" +
        (in->Byte() % 2 ? "immediate" : "end_of_period") + "\"}");
  }
  lines.push_back(
      "{\"command\":\"record_payment\",\"idempotency_key\":\"f1\",\"payment_id\":\"fuzz-pay\","
      "\"account_id\":" +
      id + ",\"amount\":\"" + std::to_string(1 + in->U16()) + "\",\"currency\":" + currency +
      ",\"received_at\":\"2026-01-01T00:00:00Z\",\"external_ref\":\"f\"}");
  if (!state.payments.empty()) {
    const std::string payment =
        Quoted(state.payments[in->Byte() % state.payments.size()].payment_id);
    lines.push_back(
        "{\"command\":\"refund_payment\",\"idempotency_key\":\"f2\",\"refund_id\":\"fuzz-refund\","
        "\"payment_id\":" +
        payment + ",\"amount\":\"" + std::to_string(1 + in->Byte()) + "\"}");
    lines.push_back("{\"command\":\"reverse_payment\",\"idempotency_key\":\"f3\",\"payment_id\":" +
                    payment + ",\"reversed_at\":\"2026-01-02T00:00:00Z\",\"reason\":\"fuzz\"}");
  }
  if (!state.invoices.empty()) {
    const std::string invoice =
        Quoted(state.invoices[in->Byte() % state.invoices.size()].invoice_id);
    lines.push_back(
        "{\"command\":\"issue_credit_note\",\"idempotency_key\":\"f4\",\"credit_note_id\":\"fuzz-"
        "cn\","
        "\"invoice_id\":" +
        invoice + ",\"amount\":\"" + std::to_string(1 + in->Byte()) + "\",\"reason\":\"fuzz\"}");
    const char* last = in->Byte() % 2 ? "void_invoice" : "mark_uncollectible";
    lines.push_back(std::string("{\"command\":\"") + last +
                    "\",\"idempotency_key\":\"f5\",\"invoice_id\":" + invoice + "}");
  }
  lines.push_back("{\"command\":\"close_account\",\"idempotency_key\":\"f6\",\"account_id\":" + id +
                  "}");
  for (const std::string& line : lines) {
    if (auto command = CommandFor(line)) Apply(engine::Decide(*command, context), &state);
  }
  Apply(engine::DecideBillRun(state, engine::Instant{as_of.micros + 400 * day_us}), &state);
  (void)engine::AccountStateJson(state);
}

void CheckAccountSnapshot(const StoredSnapshot& base, const std::string& bytes, bool must_decode,
                          Input* in) {
  engine::AccountState state;
  const accrue::Status s = engine::DecodeAccountSnapshot(bytes, base.stream, base.version, &state);
  if (must_decode) FUZZ_CHECK(s.ok());
  if (!s.ok()) return;
  (void)engine::AccountStateJson(state);
  (void)engine::AccountInvoicesStateJson(state);
  // The invariants the decoder promises (the ones evolve() asserts). Cross-checks
  // it does not make (usage recorded = billed + unbilled, refunds naming known
  // payments and summing to `refunded`) are not held against it: see
  // docs/event-log-format.md "Snapshots".
  namespace inv = accrue::invariants;
  inv::Violations violations = inv::CheckCreditNonNegative(state);
  inv::Append(&violations, inv::CheckInvoiceTotals(state));
  inv::Append(&violations, inv::CheckReceivableMatchesOpenInvoices(state));
  inv::Append(&violations, inv::CheckInvoiceStatus(state));
  for (const engine::Payment& payment : state.payments) {
    FUZZ_CHECK(payment.refunded >= 0 && payment.refunded <= payment.amount);
  }
  for (const auto& v : violations)
    std::fprintf(stderr, "decoded snapshot breaks %s\n", v.ToString().c_str());
  FUZZ_CHECK(violations.empty());
  const std::string again = engine::EncodeAccountSnapshot(base.stream, base.version, state);
  engine::AccountState state2;
  FUZZ_CHECK(engine::DecodeAccountSnapshot(again, base.stream, base.version, &state2).ok());
  FUZZ_CHECK(engine::EncodeAccountSnapshot(base.stream, base.version, state2) == again);
  static const engine::CatalogState kNoPlans;
  const auto catalog = g_bases->catalogs_by_tenant.find(base.tenant);
  DecideOn(state, catalog == g_bases->catalogs_by_tenant.end() ? kNoPlans : catalog->second, in);
}

// A decoded catalog is believed too: a new account subscribes to one of its plans,
// is billed, and changes to another plan, without an assertion.
void DecideOnCatalog(const engine::CatalogState& catalog, Input* in) {
  if (catalog.plans.empty()) return;
  std::vector<const engine::Plan*> plans;
  for (const auto& [id, plan] : catalog.plans) plans.push_back(&plan);
  const engine::Plan& plan = *plans[in->Byte() % plans.size()];
  const engine::Plan& next = *plans[in->Byte() % plans.size()];
  engine::AccountState account;
  engine::DecideContext context;
  context.catalog = &catalog;
  context.claim_taken = [](std::string_view, const std::string&) { return false; };
  const std::string opening =
      "{\"command\":\"open_account\",\"idempotency_key\":\"c1\",\"account_id\":\"fz\","
      "\"currency\":" +
      Quoted(std::string(plan.currency.code)) + ",\"timezone\":\"UTC\"}";
  auto open = CommandFor(opening);
  FUZZ_CHECK(open.has_value());
  Apply(engine::Decide(*open, context), &account);
  if (!account.exists) return;
  context.account = &account;
  const std::vector<std::string> lines = {
      "{\"command\":\"subscribe\",\"idempotency_key\":\"c2\",\"subscription_id\":\"fz-s\","
      "\"account_id\":\"fz\","
      "\"plan_id\":" +
          Quoted(plan.plan_id) + ",\"quantity\":" + std::to_string(1 + in->Byte() % 4) +
          ",\"start\":\"2024-01-31T00:00:00Z\"}",
      "{\"command\":\"change_subscription\",\"idempotency_key\":\"c3\",\"subscription_id\":\"fz-"
      "s\","
      "\"plan_id\":" +
          Quoted(next.plan_id) + ",\"effective\":\"2024-03-15T00:00:00Z\"}",
      "{\"command\":\"cancel_subscription\",\"idempotency_key\":\"c4\",\"subscription_id\":\"fz-"
      "s\","
      "\"effective\":\"2024-05-20T00:00:00Z\",\"mode\":\"" +
          std::string(in->Byte() % 2 ? "immediate" : "end_of_period") + "\"}"};
  const int64_t day_us = int64_t{86'400'000'000};
  for (const std::string& line : lines) {
    if (auto command = CommandFor(line)) Apply(engine::Decide(*command, context), &account);
    const engine::Instant as_of{int64_t{1'706'659'200'000'000} +
                                in->Byte() * 7 * day_us};  // 2024-01-31 + weeks
    Apply(engine::DecideBillRun(account, as_of), &account);
  }
  (void)engine::AccountStateJson(account);
}

void CheckCatalogSnapshot(const StoredSnapshot& base, const std::string& bytes, bool must_decode,
                          Input* in) {
  engine::CatalogState catalog;
  const accrue::Status s =
      engine::DecodeCatalogSnapshot(bytes, base.stream, base.version, &catalog);
  if (must_decode) FUZZ_CHECK(s.ok());
  if (!s.ok()) return;
  for (const auto& [id, plan] : catalog.plans) (void)engine::PlanStateJson(plan);
  const std::string again = engine::EncodeCatalogSnapshot(base.stream, base.version, catalog);
  engine::CatalogState catalog2;
  FUZZ_CHECK(engine::DecodeCatalogSnapshot(again, base.stream, base.version, &catalog2).ok());
  FUZZ_CHECK(engine::EncodeCatalogSnapshot(base.stream, base.version, catalog2) == again);
  DecideOnCatalog(catalog, in);
}

// `base` damaged by the rest of the input; the choices of the commands that follow
// a decode are read first, so the edits cannot eat them.
void CheckDamagedSnapshot(const StoredSnapshot& base, bool catalog, Input* in) {
  uint8_t knobs[kKnobBytes];
  for (uint8_t& k : knobs) k = in->Byte();
  Input knob_input(knobs, sizeof knobs);
  std::string bytes = base.bytes;
  const bool unedited = Damage(in, &bytes) == 0;
  if (catalog) {
    CheckCatalogSnapshot(base, bytes, unedited, &knob_input);
  } else {
    CheckAccountSnapshot(base, bytes, unedited, &knob_input);
  }
}

void CheckRecordValues(std::string_view bytes) {
  namespace keys = events::keys;
  uint64_t position = 0, count = 0;
  if (keys::DecodeIndexRun(bytes, &position, &count))
    FUZZ_CHECK(keys::EncodeIndexRun(position, count) == bytes);
  events::Claim claim;
  if (keys::DecodeClaimValue(bytes, &claim)) FUZZ_CHECK(keys::EncodeClaimValue(claim) == bytes);
  if (auto record = keys::DecodeIdempotency(bytes))
    FUZZ_CHECK(keys::EncodeIdempotency(*record) == bytes);
  if (auto snapshot = keys::DecodeSnapshot(bytes))
    FUZZ_CHECK(keys::EncodeSnapshot(*snapshot) == bytes);
  std::string stream;
  uint64_t version = 0;
  if (keys::ParseStreamIndexKey(bytes, &stream, &version)) {
    FUZZ_CHECK(keys::StreamIndexKey(stream, version) == bytes);
  }
  (void)engine::DecodeUsageFingerprint(std::string(bytes));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Damaged strings make protobuf log "invalid UTF-8" on every parse that refuses
  // them; the refusal is the answer under test, the log line only noise.
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  g_bases = BuildBases();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const Bases& b = *g_bases;
  Input in(data, size);
  const uint8_t target = in.Byte() % 6;
  const uint16_t pick = in.U16();
  switch (target) {
    case 0: {  // a sealed envelope, damaged
      const events::RecordedEvent& base = b.envelopes[pick % b.envelopes.size()];
      std::string bytes;
      events::AppendStored(base, &bytes);
      const bool unedited = Damage(&in, &bytes) == 0;
      CheckEnvelope(bytes, base.position, unedited);
      break;
    }
    case 1: {  // a billing payload, damaged, under its own or another type
      const events::RecordedEvent& base = b.envelopes[pick % b.envelopes.size()];
      const uint8_t type_pick = in.Byte();
      std::string payload = base.payload;
      Damage(&in, &payload);
      events::EnvelopeFields fields = events::FieldsOf(base);
      const std::string& type = type_pick < 200 ? base.type : b.types[type_pick % b.types.size()];
      fields.type = type;
      fields.payload = payload;
      CheckPayload(fields);
      break;
    }
    case 2:  // an account snapshot, damaged
      CheckDamagedSnapshot(b.accounts[pick % b.accounts.size()], /*catalog=*/false, &in);
      break;
    case 3:  // a catalog snapshot, damaged
      CheckDamagedSnapshot(b.catalogs[pick % b.catalogs.size()], /*catalog=*/true, &in);
      break;
    case 4:  // record values, as they come
      CheckRecordValues(in.Rest());
      break;
    default: {  // envelope bytes as they come, at the position of a base
      const uint64_t position = b.envelopes[pick % b.envelopes.size()].position;
      CheckEnvelope(in.Rest(), position, false);
      break;
    }
  }
  return 0;
}
