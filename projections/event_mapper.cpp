#include "projections/event_mapper.h"

#include <boost/multiprecision/cpp_int.hpp>

#include <string_view>

#include <google/protobuf/arena.h>

#include "engine/calendar.h"
#include "engine/event_codec.h"
#include "engine/evolve.h"
#include "engine/money.h"
#include "engine/state.h"
#include "engine/ledger.h"

namespace accrue::projections {

using engine::AccountState;
using engine::FormatAmount;
using engine::Int128;
namespace v1 = engine::v1;

struct EventMapper::Cached {
  std::string tenant;
  AccountState state;
  uint64_t version = 0;  // last stream version folded
  // The account's own ledger accounts (OwnLedgerAccount) posted to by the events
  // folded so far: their ledger_balances rows exist.
  std::set<std::string> posted;
};

// What a batch changed in one account stream.
struct EventMapper::Dirty {
  Cached* account = nullptr;
  uint64_t last_position = 0;
  bool account_row = false;
  bool account_new = false;  // opened in this batch: its row is COPY'd straight in
  std::set<std::string> new_ids;  // subscriptions, invoices, payments created this batch
  std::set<std::string> subscriptions;
  std::set<std::string> invoices;
  std::set<std::string> payments;
  // Usage recorded this batch per (subscription, period index, meter): one
  // usage_totals row per key per batch, not one per record.
  struct UsageDelta {
    bool is_new = false;  // no usage of this key before the batch: COPY'd straight in
    int64_t records = 0;
  };
  std::map<std::tuple<std::string, int64_t, std::string>, UsageDelta> usage;
};

namespace {

const char* SubscriptionStatusName(engine::SubscriptionStatus s) {
  return s == engine::SubscriptionStatus::kActive ? "active" : "canceled";
}

const char* InvoiceStatusName(engine::InvoiceStatus s) {
  switch (s) {
    case engine::InvoiceStatus::kOpen: return "open";
    case engine::InvoiceStatus::kPaid: return "paid";
    case engine::InvoiceStatus::kVoid: return "void";
    case engine::InvoiceStatus::kUncollectible: return "uncollectible";
  }
  return "open";
}

// PostgreSQL's last date, 5874897-12-31, in days since 1970-01-01.
constexpr int64_t kPgLastDateDays = 2'145'042'905;

// A billing date; a period boundary after PostgreSQL's last date (D-31: such
// boundaries exist, are never due, and may lie past any calendar) is 'infinity'.
CopyLine& DateField(CopyLine& line, engine::LocalDate d) {
  return d.days > kPgLastDateDays ? line.Text("infinity") : line.Text(engine::FormatDate(d));
}

Status DecodeInto(const events::RecordedEvent& e, v1::BillingEvent* event) {
  if (!event->ParseFromString(e.payload)) {
    return Status::Corruption("position " + std::to_string(e.position) + " (" + e.type +
                              "): payload does not decode as a BillingEvent");
  }
  if (event->event_case() == v1::BillingEvent::EVENT_NOT_SET) {
    return Status::FailedPrecondition("position " + std::to_string(e.position) +
                                      ": event type '" + e.type +
                                      "' is unknown to this build; upgrade the projector");
  }
  return Status::Ok();
}

Result<v1::BillingEvent> Decode(const events::RecordedEvent& e) {
  v1::BillingEvent event;
  Status s = DecodeInto(e, &event);
  if (!s.ok()) return s;
  return event;
}

// True for the ledger accounts only `account_id`'s stream posts to (engine/ledger.h):
// assets:receivable:<id> and liabilities:credit:<id>.
bool OwnLedgerAccount(std::string_view ledger_account, std::string_view account_id) {
  for (std::string_view prefix : {std::string_view("assets:receivable:"),
                                  std::string_view("liabilities:credit:")}) {
    if (ledger_account.size() == prefix.size() + account_id.size() &&
        ledger_account.substr(0, prefix.size()) == prefix &&
        ledger_account.substr(prefix.size()) == account_id) {
      return true;
    }
  }
  return false;
}

}  // namespace

namespace {

// ParseStreamName without copies: views into `stream`.
bool SplitStreamName(std::string_view stream, std::string_view* tenant, std::string_view* kind,
                     std::string_view* id) {
  const auto slash = stream.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  *tenant = stream.substr(0, slash);
  const std::string_view rest = stream.substr(slash + 1);
  if (rest == "catalog") {
    *kind = "catalog";
    *id = {};
    return true;
  }
  constexpr std::string_view kAccountPrefix = "account/";
  if (rest.substr(0, kAccountPrefix.size()) == kAccountPrefix &&
      rest.size() > kAccountPrefix.size()) {
    *kind = "account";
    *id = rest.substr(kAccountPrefix.size());
    return true;
  }
  return false;
}

}  // namespace

bool ParseStreamName(const std::string& stream, std::string* tenant, std::string* kind,
                     std::string* id) {
  std::string_view t, k, i;
  if (!SplitStreamName(stream, &t, &k, &i)) return false;
  tenant->assign(t);
  kind->assign(k);
  id->assign(i);
  return true;
}

EventMapper::EventMapper(events::EventStore* store)
    : store_(store), arena_block_(kDecodeArenaBytes) {}
EventMapper::~EventMapper() = default;

Result<EventMapper::Cached*> EventMapper::Load(const std::string& stream,
                                                uint64_t before_version) {
  auto it = cache_.find(stream);
  if (it != cache_.end()) {
    ACCRUE_ASSERT(it->second->version + 1 == before_version,
                  "cached account state out of step with the log");
    return it->second.get();
  }
  ++stats_.folds;
  auto cached = std::make_unique<Cached>();
  uint64_t next = 1;
  while (next < before_version) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<uint64_t>(kFoldPageEvents, before_version - next));
    auto page = store_->ReadStream(stream, next, want);
    if (!page.ok()) return page.status();
    if (page.value().empty()) {
      return Status::Corruption("stream " + stream + " ends at version " +
                                std::to_string(next - 1) + ", expected " +
                                std::to_string(before_version - 1));
    }
    for (const auto& e : page.value()) {
      auto event = Decode(e);
      if (!event.ok()) return event.status();
      engine::Evolve(&cached->state, event.value());
      if (auto entry = engine::LedgerEntry(cached->state.account_id, event.value())) {
        for (const auto& p : entry->postings) {
          if (OwnLedgerAccount(p.ledger_account, cached->state.account_id)) {
            cached->posted.insert(p.ledger_account);
          }
        }
      }
      next = e.version + 1;
    }
  }
  cached->version = before_version - 1;
  Cached* raw = cached.get();
  cache_[stream] = std::move(cached);
  return raw;
}

Status EventMapper::Map(const std::vector<events::RecordedEvent>& batch, RowBatch* out) {
  std::vector<const events::RecordedEvent*> all;
  all.reserve(batch.size());
  for (const auto& e : batch) all.push_back(&e);
  return Map(all, out);
}

Status EventMapper::Map(const std::vector<const events::RecordedEvent*>& events,
                        RowBatch* out) {
  dirty_.clear();
  currencies_.clear();
  balances_.clear();
  failed_position_ = 0;
  for (const events::RecordedEvent* e : events) {
    Status s = MapOne(*e, out);
    if (!s.ok()) {
      failed_position_ = e->position;
      return s;
    }
  }
  Flush(out);
  return Status::Ok();
}

namespace {

// The rows of a published plan (and its currency, once per batch).
void AddPlanRows(std::string_view tenant, const std::string& position, const v1::PlanPublished& published,
                 std::set<std::string>* currencies, RowBatch* out) {
  engine::Plan plan = engine::PlanFromEvent(published);
  const int exp = plan.currency.exponent;
  if (currencies->insert(std::string(plan.currency.code)).second) {
    out->Add(TableId::kCurrencies, CopyLine().Text(plan.currency.code).Int(exp).Take());
  }
  out->Add(TableId::kPlans,
           CopyLine().Text(tenant).Text(plan.plan_id).Text(plan.currency.code)
               .Text(published.interval()).Text(plan.interval_count)
               .Text(FormatAmount(plan.amount, exp)).Text(position).Take());
  for (const auto& m : plan.meters) {
    out->Add(TableId::kPlanMeters, CopyLine().Text(tenant).Text(plan.plan_id).Text(m.meter)
                                       .Text(engine::FormatDecimal(m.unit_price)).Take());
  }
}

// The lines of an invoice as issued (or of a payment reversal's invoice).
void AddInvoiceLines(std::string_view tenant, const engine::Invoice& inv, const engine::Currency& currency,
                     RowBatch* out) {
  int line_no = 0;
  for (const auto& l : inv.lines) {
    CopyLine line;
    line.Text(tenant).Text(inv.invoice_id).Int(++line_no).Text(engine::LineKindName(l.kind));
    const bool reversal = l.kind == engine::LineKind::kPaymentReversal;
    if (reversal) line.Null(); else line.Text(l.subscription_id);
    if (l.kind == engine::LineKind::kUsage) line.Text(l.meter); else line.Null();
    if (reversal) line.Text(l.payment_id); else line.Null();
    if (reversal || l.plan_id.empty()) line.Null(); else line.Text(l.plan_id);
    if (reversal) {
      line.Null().Null();
    } else {
      DateField(line, l.period.start);
      DateField(line, l.period.end);
    }
    line.Text(l.quantity).Text(FormatAmount(l.amount, currency.exponent)).Text(currency.code);
    out->Add(TableId::kInvoiceLines, line.Take());
  }
}

}  // namespace

Status EventMapper::MapOne(const events::RecordedEvent& e, RowBatch* out) {
  ++stats_.events;
  std::string_view tenant, kind, id;
  if (!SplitStreamName(e.stream, &tenant, &kind, &id)) {
    ++stats_.skipped;
    return Status::Ok();
  }
  // Parsed on an arena whose first block (arena_block_) is reused for every
  // event: most payloads need no heap allocation at all.
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = arena_block_.data();
  arena_options.initial_block_size = arena_block_.size();
  google::protobuf::Arena arena(arena_options);
  auto* parsed = google::protobuf::Arena::CreateMessage<v1::BillingEvent>(&arena);
  Status decoded = DecodeInto(e, parsed);
  if (!decoded.ok()) return decoded;
  const v1::BillingEvent& event = *parsed;
  const std::string position = std::to_string(e.position);

  if (kind == "catalog") {
    if (!event.has_plan_published()) {
      return Status::FailedPrecondition("position " + position + ": " + e.type +
                                        " in a catalog stream");
    }
    AddPlanRows(tenant, position, event.plan_published(), &currencies_, out);
    return Status::Ok();
  }

  auto loaded = Load(e.stream, e.version);
  if (!loaded.ok()) return loaded.status();
  Cached* c = loaded.value();
  if (c->tenant != tenant) c->tenant.assign(tenant);
  auto& d = dirty_[e.stream];
  if (!d) d = std::make_unique<Dirty>();
  d->account = c;
  if (event.has_usage_recorded()) {
    // Whether the key had usage before this batch is read from the state BEFORE
    // evolve adds this record (recorded_usage is never pruned; a subscription's
    // period length and anchor are fixed for life, so period index <-> period_start
    // is one to one and the state's key is the table's key).
    const auto& u = event.usage_recorded();
    auto [it, first] = d->usage.try_emplace({u.subscription_id(), u.period_index(), u.meter()});
    if (first) {
      const engine::Subscription* sub = c->state.FindSubscription(u.subscription_id());
      it->second.is_new =
          sub == nullptr || sub->recorded_usage.count({u.period_index(), u.meter()}) == 0;
    }
    ++it->second.records;
  }
  engine::Evolve(&c->state, event);
  c->version = e.version;
  if (Status s = AddAccountRows(e, event, tenant, position, d.get(), out); !s.ok()) return s;
  AddLedgerRows(e, event, tenant, position, c, out);
  return Status::Ok();
}

Status EventMapper::AddAccountRows(const events::RecordedEvent& e, const v1::BillingEvent& event,
                                   std::string_view tenant, const std::string& position, Dirty* d,
                                   RowBatch* out) {
  const AccountState& s = d->account->state;
  // accounts.updated_position: the last event that changed the account row, so
  // the value does not depend on where batches happen to end.
  auto touch_account = [&] {
    d->account_row = true;
    d->last_position = e.position;
  };
  using E = v1::BillingEvent;
  switch (event.event_case()) {
    case E::kAccountOpened:
      d->account_new = true;
      if (currencies_.insert(std::string(s.currency.code)).second) {
        out->Add(TableId::kCurrencies, CopyLine().Text(s.currency.code).Int(s.currency.exponent).Take());
      }
      touch_account();
      break;
    case E::kAccountClosed: touch_account(); break;
    case E::kSubscriptionCreated:
      d->subscriptions.insert(event.subscription_created().subscription_id());
      d->new_ids.insert("s/" + event.subscription_created().subscription_id());
      break;
    case E::kSubscriptionChanged:
      d->subscriptions.insert(event.subscription_changed().subscription_id());
      break;
    case E::kSubscriptionCanceled:
      d->subscriptions.insert(event.subscription_canceled().subscription_id());
      break;
    case E::kUsageRecorded: break;  // counted in MapOne; its row is rendered by Flush
    case E::kInvoiceIssued: {
      const auto& ev = event.invoice_issued();
      d->invoices.insert(ev.invoice_id());
      d->new_ids.insert("i/" + ev.invoice_id());
      AddInvoiceLines(tenant, *s.FindInvoice(ev.invoice_id()), s.currency, out);
      for (const auto& b : ev.billed()) d->subscriptions.insert(b.subscription_id());
      touch_account();
      break;
    }
    case E::kBillRunProcessed: break;
    case E::kCreditApplied:
    case E::kPaymentReceived:
    case E::kCreditNoteIssued:
    case E::kPaymentRefunded:
      AddMoneyRows(event, tenant, position, d, out);
      touch_account();
      break;
    case E::kPaymentReversed: {
      const auto& ev = event.payment_reversed();
      d->payments.insert(ev.payment_id());
      d->invoices.insert(ev.invoice_id());
      d->new_ids.insert("i/" + ev.invoice_id());
      AddInvoiceLines(tenant, *s.FindInvoice(ev.invoice_id()), s.currency, out);
      touch_account();
      break;
    }
    case E::kInvoiceVoided:
      d->invoices.insert(event.invoice_voided().invoice_id());
      touch_account();
      break;
    case E::kInvoiceWrittenOff:
      d->invoices.insert(event.invoice_written_off().invoice_id());
      touch_account();
      break;
    default:
      return Status::FailedPrecondition("position " + position + ": " + e.type +
                                        " in an account stream");
  }
  return Status::Ok();
}

// The money facts of a credit application, payment, credit note or refund, and the
// invoices and payments they change.
void EventMapper::AddMoneyRows(const v1::BillingEvent& event, std::string_view tenant,
                               const std::string& position, Dirty* d, RowBatch* out) {
  const AccountState& s = d->account->state;
  auto amount = [&s](const std::string& minor) { return FormatAmount(engine::ParseMinor(minor), s.currency.exponent); };
  using E = v1::BillingEvent;
  switch (event.event_case()) {
    case E::kCreditApplied: {
      int n = 0;
      for (const auto& a : event.credit_applied().applications()) {
        out->Add(TableId::kCreditApplications, CopyLine().Text(position).Int(++n).Text(tenant).Text(s.account_id)
                                                   .Text(a.invoice_id()).Text(amount(a.amount())).Take());
        d->invoices.insert(a.invoice_id());
      }
      break;
    }
    case E::kPaymentReceived: {
      const auto& ev = event.payment_received();
      d->payments.insert(ev.payment_id());
      d->new_ids.insert("p/" + ev.payment_id());
      int n = 0;
      for (const auto& a : ev.applied()) {
        out->Add(TableId::kPaymentApplications, CopyLine().Text(tenant).Text(ev.payment_id()).Int(++n)
                                                    .Text(a.invoice_id()).Text(amount(a.amount())).Take());
        d->invoices.insert(a.invoice_id());
      }
      break;
    }
    case E::kCreditNoteIssued: {
      const auto& ev = event.credit_note_issued();
      out->Add(TableId::kCreditNotes,
               CopyLine().Text(tenant).Text(ev.credit_note_id()).Text(ev.invoice_id()).Text(s.account_id)
                   .Text(amount(ev.amount())).Text(amount(ev.applied())).Text(amount(ev.to_credit()))
                   .Text(ev.reason()).Text(position).Take());
      d->invoices.insert(ev.invoice_id());
      break;
    }
    case E::kPaymentRefunded: {
      const auto& ev = event.payment_refunded();
      out->Add(TableId::kRefunds, CopyLine().Text(tenant).Text(ev.refund_id()).Text(ev.payment_id())
                                      .Text(s.account_id).Text(amount(ev.amount())).Text(position).Take());
      d->payments.insert(ev.payment_id());
      break;
    }
    default: ACCRUE_ASSERT(false, "AddMoneyRows takes money events only");
  }
}

// R-L1..R-L5, D-46: the domain's own journal entry of the event, one per event.
void EventMapper::AddLedgerRows(const events::RecordedEvent& e, const v1::BillingEvent& event,
                                std::string_view tenant, const std::string& position, Cached* c,
                                RowBatch* out) {
  const AccountState& s = c->state;
  auto entry = engine::LedgerEntry(s.account_id, event);
  if (!entry) return;
  const int exp = s.currency.exponent;
  out->Add(TableId::kLedgerEntries, CopyLine().Text(position).Int(1).Text(tenant)
                                        .Text(e.type).Text(s.account_id)
                                        .Text(s.currency.code).Take());
  int line_no = 0;
  for (const auto& p : entry->postings) {
    out->Add(TableId::kLedgerPostings,
             CopyLine().Text(position).Int(1).Int(++line_no).Text(tenant)
                 .Text(p.ledger_account).Text(s.currency.code).Text(FormatAmount(p.debit, exp))
                 .Text(FormatAmount(p.credit, exp)).Take());
    auto [it, first] = balances_.try_emplace(
        {std::string(tenant), p.ledger_account, std::string(s.currency.code)});
    BalanceSum& sum = it->second;
    if (first && OwnLedgerAccount(p.ledger_account, s.account_id)) {
      // The first posting of this batch to it: did an earlier batch post to it?
      const bool existed = !c->posted.insert(p.ledger_account).second;
      sum.known = existed ? BalanceSum::Known::kExisting : BalanceSum::Known::kNew;
    }
    sum.exponent = exp;
    sum.debit.Add(p.debit);
    sum.credit.Add(p.credit);
  }
}

void EventMapper::WideSum::Add(engine::Int128 v) {
  ACCRUE_ASSERT(v >= 0, "a ledger posting is never negative (R-L1)");
  if (v > engine::kInt128Max - low) {
    low = v - (engine::kInt128Max - low) - 1;
    ++high;
  } else {
    low += v;
  }
}

std::string EventMapper::WideSum::Format(int exponent) const {
  if (high == 0) return FormatAmount(low, exponent);
  using BigInt = boost::multiprecision::cpp_int;
  auto big = [](engine::Int128 v) {  // 0 <= v
    const auto u = static_cast<engine::UInt128>(v);
    return (BigInt(static_cast<uint64_t>(u >> 64)) << 64) + BigInt(static_cast<uint64_t>(u));
  };
  const BigInt total = (BigInt(high) << 127) + big(low);
  std::string digits = total.str();
  if (exponent <= 0) return digits;
  const auto scale = static_cast<std::size_t>(exponent);
  if (digits.size() <= scale) digits.insert(0, scale + 1 - digits.size(), '0');
  digits.insert(digits.size() - scale, 1, '.');
  return digits;
}

void EventMapper::Flush(RowBatch* out) {
  FlushBalances(out);
  for (const auto& [stream, d] : dirty_) FlushDirty(*d, out);
}

// One row per ledger balance this batch posted to, with the batch's sums.
void EventMapper::FlushBalances(RowBatch* out) {
  for (const auto& [key, sum] : balances_) {
    std::string line =
        CopyLine().Text(std::get<0>(key)).Text(std::get<1>(key)).Text(std::get<2>(key))
            .Text(sum.debit.Format(sum.exponent))
            .Text(sum.credit.Format(sum.exponent)).Take();
    switch (sum.known) {
      case BalanceSum::Known::kNew: out->AddNew(TableId::kLedgerBalances, std::move(line)); break;
      case BalanceSum::Known::kExisting:
        out->AddExisting(TableId::kLedgerBalances, std::move(line));
        break;
      case BalanceSum::Known::kMaybe: out->Add(TableId::kLedgerBalances, std::move(line)); break;
    }
  }
}

// The current rows of every entity of one stream this batch changed: usage totals,
// the account, its subscriptions, invoices and payments.
void EventMapper::FlushDirty(const Dirty& d, RowBatch* out) {
  const AccountState& s = d.account->state;
  const std::string& tenant = d.account->tenant;
  const int exp = s.currency.exponent;
  auto amount = [exp](Int128 v) { return FormatAmount(v, exp); };
  // Entities created by this batch's events are new; every other dirty one was
  // created by an earlier (committed) event of the stream, so its row exists.
  auto add = [&](TableId table, bool is_new, std::string line) {
    if (is_new) {
      out->AddNew(table, std::move(line));
    } else {
      out->AddExisting(table, std::move(line));
    }
  };
  for (const auto& [key, delta] : d.usage) {
    const auto& [sub_id, period_index, meter] = key;
    const engine::Subscription* sub = s.FindSubscription(sub_id);
    ACCRUE_ASSERT(sub != nullptr, "usage of an unknown subscription");
    const auto total = sub->recorded_usage.find({period_index, meter});
    ACCRUE_ASSERT(total != sub->recorded_usage.end(), "dirty usage not in state");
    const engine::Period p = sub->PeriodOf(period_index);
    // quantity is the key's running total (the state's exact sum), records the
    // records of this batch (added to the stored count for an existing key).
    CopyLine line;
    line.Text(tenant).Text(sub_id).Text(meter).Text(engine::FormatDate(p.start));
    DateField(line, p.end).Text(engine::FormatDecimal(total->second)).Int(delta.records);
    add(TableId::kUsageTotals, delta.is_new, line.Take());
  }
  if (d.account_row) {
    add(TableId::kAccounts, d.account_new,
             CopyLine().Text(tenant).Text(s.account_id).Text(s.currency.code).Text(s.timezone)
                 .Text(s.status == engine::AccountStatus::kOpen ? "open" : "closed")
                 .Text(amount(s.amount_due_open)).Text(amount(s.credit))
                 .Text(std::to_string(d.last_position)).Take());
  }
  for (const auto& id : d.subscriptions) {
    const engine::Subscription* sub = s.FindSubscription(id);
    ACCRUE_ASSERT(sub != nullptr, "dirty subscription not in state");
    const auto& latest = sub->Latest();
    CopyLine line;
    line.Text(tenant).Text(id).Text(s.account_id).Text(latest.terms.plan_id)
        .Text(engine::Int128ToString(latest.quantity)).Text(SubscriptionStatusName(sub->status))
        .Text(engine::FormatInstant(sub->start));
    if (sub->end) DateField(line, *sub->end); else line.Null();
    line.Text(std::to_string(sub->invoiced_periods));
    add(TableId::kSubscriptions, d.new_ids.count("s/" + id) > 0, line.Take());
  }
  for (const auto& id : d.invoices) {
    const engine::Invoice* inv = s.FindInvoice(id);
    ACCRUE_ASSERT(inv != nullptr, "dirty invoice not in state");
    add(TableId::kInvoices, d.new_ids.count("i/" + id) > 0,
             CopyLine().Text(tenant).Text(id).Text(s.account_id).Text(std::to_string(inv->number))
                 .Text(engine::FormatInstant(inv->issued_at)).Text(InvoiceStatusName(inv->status))
                 .Text(amount(inv->total)).Text(amount(inv->amount_due))
                 .Text(amount(inv->credited)).Text(s.currency.code)
                 .Text(inv->is_reversal ? "t" : "f").Take());
  }
  for (const auto& id : d.payments) {
    const engine::Payment* p = s.FindPayment(id);
    ACCRUE_ASSERT(p != nullptr, "dirty payment not in state");
    add(TableId::kPayments, d.new_ids.count("p/" + id) > 0,
             CopyLine().Text(tenant).Text(id).Text(s.account_id).Text(amount(p->amount))
                 .Text(amount(p->refunded)).Text(s.currency.code)
                 .Text(engine::FormatInstant(p->received_at)).Text(p->external_ref)
                 .Text(p->reversed ? "t" : "f").Take());
  }
}

void EventMapper::Commit() {
  dirty_.clear();
  if (cache_.size() > kMaxCachedAccounts) cache_.clear();  // folded again on demand
}

void EventMapper::Discard() {
  for (const auto& [stream, d] : dirty_) cache_.erase(stream);
  dirty_.clear();
}

void EventMapper::Reset() {
  cache_.clear();
  dirty_.clear();
}

}  // namespace accrue::projections
