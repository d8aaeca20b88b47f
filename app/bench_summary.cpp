// `accrue bench summary [--json]`: what the log holds, for `make demo`: accounts,
// invoices issued by status, revenue by line kind and currency, open receivables,
// and every invariant of docs/invariants.md checked over the whole log
// (invariants/log_invariants.h). Folded from the log (read-only open), so it
// works on any data dir. Exit 1 when an invariant is violated.
#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include "app/bench.h"
#include "engine/event_codec.h"
#include "engine/json.h"
#include "engine/money.h"
#include "events/rocks_event_store.h"
#include "invariants/log_invariants.h"

namespace accrue::app {
namespace {

struct CurrencyTotals {
  int exponent = 2;
  uint64_t accounts = 0;
  std::map<std::string, engine::Int128> revenue;  // line kind -> amount (non-void invoices)
  engine::Int128 credit_notes = 0;
  engine::Int128 open_receivable = 0;
  uint64_t open_invoices = 0;
  engine::Int128 credit = 0;
};

struct Summary {
  uint64_t accounts = 0;
  std::map<std::string, uint64_t> invoices_by_status;
  uint64_t invoices = 0;
  std::map<std::string, CurrencyTotals> by_currency;
};

const char* StatusName(engine::InvoiceStatus s) {
  switch (s) {
    case engine::InvoiceStatus::kOpen: return "open";
    case engine::InvoiceStatus::kPaid: return "paid";
    case engine::InvoiceStatus::kVoid: return "void";
    case engine::InvoiceStatus::kUncollectible: return "uncollectible";
  }
  return "?";
}

Summary Summarize(const invariants::LogChecker& checker, const std::string& tenant) {
  Summary s;
  for (const auto& [key, a] : checker.account_states()) {
    if (key.first != tenant || !a.exists) continue;
    ++s.accounts;
    CurrencyTotals& c = s.by_currency[std::string(a.currency.code)];
    c.exponent = a.currency.exponent;
    ++c.accounts;
    c.credit += a.credit;
    for (const auto& inv : a.invoices) {
      ++s.invoices;
      ++s.invoices_by_status[StatusName(inv.status)];
      if (inv.status == engine::InvoiceStatus::kOpen) {
        c.open_receivable += inv.amount_due;
        ++c.open_invoices;
      }
      if (inv.status == engine::InvoiceStatus::kVoid) continue;  // reversed (R-L5)
      for (const auto& line : inv.lines) c.revenue[std::string(engine::LineKindName(line.kind))] += line.amount;
    }
    for (const auto& cn : a.credit_notes) c.credit_notes += cn.amount;
  }
  return s;
}

void PrintText(const Summary& s, const invariants::LogChecker& checker, uint64_t violations, double seconds) {
  std::printf("accounts: %llu\n", static_cast<unsigned long long>(s.accounts));
  std::printf("invoices issued: %llu", static_cast<unsigned long long>(s.invoices));
  for (const auto& [status, n] : s.invoices_by_status) std::printf(", %s %llu", status.c_str(), static_cast<unsigned long long>(n));
  std::printf("\nrevenue by line kind (non-void invoices; credit notes as contra revenue):\n");
  for (const auto& [code, c] : s.by_currency) {
    std::printf("  %s (%llu accounts):", code.c_str(), static_cast<unsigned long long>(c.accounts));
    for (const auto& [kind, amount] : c.revenue) {
      std::printf(" %s %s,", kind.c_str(), engine::FormatAmount(amount, c.exponent).c_str());
    }
    std::printf(" credit_notes %s\n", engine::FormatAmount(-c.credit_notes, c.exponent).c_str());
  }
  std::printf("open receivables:\n");
  for (const auto& [code, c] : s.by_currency) {
    std::printf("  %s %s on %llu open invoices (customer credit held: %s)\n", code.c_str(),
                engine::FormatAmount(c.open_receivable, c.exponent).c_str(),
                static_cast<unsigned long long>(c.open_invoices), engine::FormatAmount(c.credit, c.exponent).c_str());
  }
  std::printf("invariants (docs/invariants.md): %llu violations over %llu events, %zu accounts (%.2f s)\n",
              static_cast<unsigned long long>(violations), static_cast<unsigned long long>(checker.events_seen()),
              checker.accounts(), seconds);
}

void PrintJson(const Summary& s, const invariants::LogChecker& checker, uint64_t violations) {
  engine::JsonWriter w;
  w.BeginObject();
  w.Key("accounts");
  w.Int(static_cast<int64_t>(s.accounts));
  w.Key("invoices");
  w.Int(static_cast<int64_t>(s.invoices));
  w.Key("invoices_by_status");
  w.BeginObject();
  for (const auto& [status, n] : s.invoices_by_status) {
    w.Key(status);
    w.Int(static_cast<int64_t>(n));
  }
  w.EndObject();
  w.Key("currencies");
  w.BeginObject();
  for (const auto& [code, c] : s.by_currency) {
    w.Key(code);
    w.BeginObject();
    w.Key("revenue");
    w.BeginObject();
    for (const auto& [kind, amount] : c.revenue) {
      w.Key(kind);
      w.String(engine::FormatAmount(amount, c.exponent));
    }
    w.EndObject();
    w.Key("credit_notes");  // contra revenue, negative
    w.String(engine::FormatAmount(-c.credit_notes, c.exponent));
    w.Key("open_receivable");
    w.String(engine::FormatAmount(c.open_receivable, c.exponent));
    w.Key("open_invoices");
    w.Int(static_cast<int64_t>(c.open_invoices));
    w.EndObject();
  }
  w.EndObject();
  w.Key("events");
  w.Int(static_cast<int64_t>(checker.events_seen()));
  w.Key("invariant_violations");
  w.Int(static_cast<int64_t>(violations));
  w.EndObject();
  std::printf("%s\n", w.str().c_str());
}

}  // namespace

int RunBenchSummary(const GlobalOptions& g, const std::vector<std::string>& args) {
  bool json = false;
  int code = kExitOk;
  if (!ParseJsonFlagOnly(args, "bench summary", &json, &code)) return code;
  events::RocksStoreOptions options;
  options.mode = events::OpenMode::kAutoReadOnly;
  auto store = events::OpenRocksEventStore(g.data_dir, options);
  if (!store.ok()) {
    std::fprintf(stderr, "accrue: cannot open the log at %s: %s\n", g.data_dir.c_str(),
                 store.status().ToString().c_str());
    return kExitUsage;
  }
  const auto started = std::chrono::steady_clock::now();
  invariants::LogChecker checker;
  uint64_t next = 1;
  for (;;) {
    auto page = store.value()->ReadAll(next, invariants::kLogPageEvents);
    if (!page.ok()) {
      std::fprintf(stderr, "accrue: reading the log: %s\n", page.status().ToString().c_str());
      return kExitUsage;
    }
    for (const auto& e : page.value()) {
      Status s = checker.Feed(e);
      if (!s.ok()) {
        std::fprintf(stderr, "accrue: %s\n", s.ToString().c_str());
        return kExitFound;
      }
      next = e.position + 1;
    }
    if (page.value().size() < invariants::kLogPageEvents) break;
  }
  invariants::Violations violations = checker.Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  Summary summary = Summarize(checker, g.tenant);
  if (json) {
    PrintJson(summary, checker, checker.violation_count());
  } else {
    PrintText(summary, checker, checker.violation_count(), seconds);
  }
  for (const auto& v : violations) std::fprintf(stderr, "violation: %s\n", v.ToString().c_str());
  return checker.violation_count() == 0 ? kExitOk : kExitFound;
}

}  // namespace accrue::app
