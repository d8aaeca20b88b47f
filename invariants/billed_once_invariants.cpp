// No double billing (account_invariants.h): INV-RECURRING-ONCE and INV-USAGE-ONCE.
// Both rebuild, from the invoices' lines alone, what was billed per
// (subscription, period[, meter]) and compare it with the subscription's own
// record (invoiced_periods, cancellation end, recorded usage, unbilled buckets).
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "engine/decimal.h"
#include "invariants/account_invariants.h"
#include "invariants/invariants_internal.h"

namespace accrue::invariants {

using engine::AccountState;
using engine::Decimal;
using engine::Invoice;
using engine::InvoiceLine;
using engine::LineKind;
using engine::LocalDate;
using engine::Period;
using engine::Subscription;

namespace {

struct RecurringSeen {
  std::set<int64_t> invoice_numbers;
  std::vector<Period> segments;
};

// Proration credits of a subscription, pending or invoiced, by [start, end).
using CreditSpans = std::set<std::pair<int64_t, int64_t>>;

std::string PeriodText(const Subscription& sub, int64_t k) {
  Period p = sub.PeriodOf(k);
  return "period " + std::to_string(k) + " [" + engine::FormatDate(p.start) + ", " + engine::FormatDate(p.end) + ")";
}

void CheckOneRecurringPeriod(const Subscription& sub, int64_t k, RecurringSeen& seen, const CreditSpans& credits,
                             Violations* out) {
  const std::string subject = "subscription " + sub.subscription_id;
  auto bad = [&](std::string detail) {
    out->push_back({std::string(kRecurringOnce), subject, PeriodText(sub, k) + ": " + std::move(detail)});
  };
  if (seen.invoice_numbers.size() > 1) bad("recurring lines on " + std::to_string(seen.invoice_numbers.size()) + " invoices");
  if (k >= sub.invoiced_periods) bad("billed but the subscription counts it as not invoiced");
  Period p = sub.PeriodOf(k);
  // A period starting at or after the end is never charged, except the one an
  // immediate cancel at its very start (M = S) ended after it was invoiced: R-S6's
  // credit for [M, E) then takes the whole charge back.
  if (sub.end && p.start >= *sub.end &&
      !(p.start == *sub.end && credits.contains({p.start.days, p.end.days}))) {
    bad("charged at or after the cancellation's end " + engine::FormatDate(*sub.end) +
        " without R-S6's credit for it");
  }
  // Segments lie inside the period. (An immediate cancel before invoicing cuts the
  // period at M, one after invoicing leaves the whole-period line and adds a
  // credit: the state does not say which came first, so the bound is E.)
  const LocalDate limit = p.end;
  std::sort(seen.segments.begin(), seen.segments.end(),
            [](const Period& x, const Period& y) { return x.start < y.start; });
  LocalDate cursor = p.start;
  for (const Period& s : seen.segments) {
    if (s.start < cursor || s.end <= s.start || s.end > limit) {
      bad("segment [" + engine::FormatDate(s.start) + ", " + engine::FormatDate(s.end) +
          ") overlaps another or leaves the period");
    }
    cursor = std::max(cursor, s.end);
  }
}

}  // namespace

Violations CheckRecurringBilledOnce(const AccountState& a) {
  Violations out;
  std::map<std::pair<std::string, int64_t>, RecurringSeen> seen;
  for (const Invoice& inv : a.invoices) {
    for (const InvoiceLine& line : inv.lines) {
      if (line.kind != LineKind::kRecurring) continue;
      RecurringSeen& s = seen[{line.subscription_id, line.period_index}];
      s.invoice_numbers.insert(inv.number);
      s.segments.push_back(line.period);
    }
  }
  std::map<std::string, CreditSpans> credits;
  for (const auto& item : a.pending) {
    if (item.kind == LineKind::kProrationCredit) {
      credits[item.subscription_id].insert({item.period.start.days, item.period.end.days});
    }
  }
  for (const Invoice& inv : a.invoices) {
    for (const InvoiceLine& line : inv.lines) {
      if (line.kind == LineKind::kProrationCredit) {
        credits[line.subscription_id].insert({line.period.start.days, line.period.end.days});
      }
    }
  }
  for (auto& [key, s] : seen) {
    const Subscription* sub = a.FindSubscription(key.first);
    if (sub == nullptr || key.second < 0) {
      out.push_back({std::string(kRecurringOnce), "subscription " + key.first,
                     "recurring line for an unknown subscription or a negative period index"});
      continue;
    }
    CheckOneRecurringPeriod(*sub, key.second, s, credits[key.first], &out);
  }
  // Every invoiced period that was served has its charge (exactly once, above).
  for (const Subscription& sub : a.subscriptions) {
    for (int64_t k = 0; k < sub.invoiced_periods; ++k) {
      if (sub.end && sub.PeriodOf(k).start >= *sub.end) break;
      if (!seen.contains({sub.subscription_id, k})) {
        out.push_back({std::string(kRecurringOnce), "subscription " + sub.subscription_id,
                       PeriodText(sub, k) + ": counted as invoiced but no invoice charges it"});
      }
    }
  }
  return out;
}

namespace {

using UsageKey = std::tuple<std::string, int64_t, std::string>;  // (subscription, period, meter)

struct UsageSums {
  Decimal recorded;
  Decimal billed_or_pending;
  bool overflow = false;
};

void AddTo(Decimal* sum, const Decimal& v, bool* overflow) {
  auto r = engine::AddDecimal(*sum, v);
  if (r) {
    *sum = *r;
  } else {
    *overflow = true;
  }
}

}  // namespace

Violations CheckUsageBilledOnce(const AccountState& a) {
  Violations out;
  std::map<UsageKey, UsageSums> sums;
  const engine::TimeZone* zone = a.zone();
  // What was recorded per (subscription, period, meter) (Subscription::recorded_usage;
  // the per-usage_id bodies are the usage claims' values, ADR 0004).
  for (const Subscription& sub : a.subscriptions) {
    for (const auto& [key, quantity] : sub.recorded_usage) {
      if (key.first < 0) {
        out.push_back({std::string(kUsageOnce), "subscription " + sub.subscription_id,
                       "usage recorded for a period before the anchor"});
        continue;
      }
      UsageSums& s = sums[{sub.subscription_id, key.first, key.second}];
      AddTo(&s.recorded, quantity, &s.overflow);
    }
  }
  for (const Invoice& inv : a.invoices) {
    for (const InvoiceLine& line : inv.lines) {
      if (line.kind != LineKind::kUsage) continue;
      const Subscription* sub = a.FindSubscription(line.subscription_id);
      auto q = engine::ParseDecimalSum(line.quantity);  // a sum: may pass 24 digits (D-26)
      if (sub == nullptr || !q || line.period_index < 0) {
        out.push_back({std::string(kUsageOnce), "invoice " + inv.invoice_id,
                       "usage line of an unknown subscription or with a bad quantity '" + line.quantity + "'"});
        continue;
      }
      Period p = sub->PeriodOf(line.period_index);
      if (zone != nullptr && zone->LocalMidnight(p.end) > inv.issued_at) {
        out.push_back({std::string(kUsageOnce), "invoice " + inv.invoice_id,
                       "bills usage of " + PeriodText(*sub, line.period_index) + " before it ended (R-S7)"});
      }
      UsageSums& s = sums[{line.subscription_id, line.period_index, line.meter}];
      AddTo(&s.billed_or_pending, *q, &s.overflow);
    }
  }
  for (const Subscription& sub : a.subscriptions) {
    for (const auto& [key, bucket] : sub.unbilled_usage) {
      UsageSums& s = sums[{sub.subscription_id, key.period_index, key.meter}];
      AddTo(&s.billed_or_pending, bucket.quantity, &s.overflow);
    }
  }
  for (const auto& [key, s] : sums) {
    if (s.overflow || !(s.recorded == s.billed_or_pending)) {
      const auto& [sub_id, k, meter] = key;
      out.push_back({std::string(kUsageOnce), "subscription " + sub_id,
                     "period " + std::to_string(k) + " meter " + meter + ": recorded " +
                         engine::FormatDecimal(s.recorded) + " != billed + unbilled " +
                         engine::FormatDecimal(s.billed_or_pending)});
    }
  }
  return out;
}

}  // namespace accrue::invariants
