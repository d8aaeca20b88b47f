// The money invariants of one account state (account_invariants.h). Each checker
// recomputes its sums with checked 128-bit arithmetic; an overflowing sum is itself
// reported, since D-27 keeps every per-account sum within range.
#include <map>
#include <set>
#include <optional>

#include "engine/money.h"
#include "invariants/account_invariants.h"
#include "invariants/invariants_internal.h"

namespace accrue::invariants {

using engine::AccountState;
using engine::Int128;
using engine::Invoice;
using engine::InvoiceStatus;
using internal::AccountSubject;
using internal::Amount;

Violations CheckCreditNonNegative(const AccountState& a) {
  Violations out;
  if (a.credit < 0) {
    out.push_back({std::string(kCreditNonNegative), AccountSubject(a), "credit " + Amount(a, a.credit) + " < 0"});
  }
  return out;
}

Violations CheckReceivableMatchesOpenInvoices(const AccountState& a) {
  Violations out;
  internal::CheckedSum sum;
  std::set<int64_t> open;
  for (const Invoice& inv : a.invoices) {
    if (inv.amount_due < 0) {
      out.push_back({std::string(kReceivableMatches), "invoice " + inv.invoice_id,
                     "amount_due " + Amount(a, inv.amount_due) + " < 0"});
    }
    if (inv.status != InvoiceStatus::kOpen) continue;
    open.insert(inv.number);
    sum.Add(inv.amount_due);
  }
  if (!sum.ok()) {
    out.push_back({std::string(kReceivableMatches), AccountSubject(a), "sum of open amount_due overflows"});
  } else if (sum.value() != a.amount_due_open) {
    out.push_back({std::string(kReceivableMatches), AccountSubject(a),
                   "balance amount_due " + Amount(a, a.amount_due_open) + " != sum over open invoices " +
                       Amount(a, sum.value())});
  }
  if (open != a.open_invoices) {
    out.push_back({std::string(kReceivableMatches), AccountSubject(a),
                   "open-invoice index does not list exactly the open invoices"});
  }
  return out;
}

Violations CheckInvoiceTotals(const AccountState& a) {
  Violations out;
  for (const Invoice& inv : a.invoices) {
    internal::CheckedSum sum;
    for (const auto& line : inv.lines) sum.Add(line.amount);
    if (!sum.ok() || sum.value() != inv.total) {
      out.push_back({std::string(kInvoiceTotal), "invoice " + inv.invoice_id,
                     "total " + Amount(a, inv.total) + " != sum of lines " +
                         (sum.ok() ? Amount(a, sum.value()) : std::string("(overflow)"))});
    }
  }
  return out;
}

Violations CheckInvoiceStatus(const AccountState& a) {
  Violations out;
  for (std::size_t i = 0; i < a.invoices.size(); ++i) {
    const Invoice& inv = a.invoices[i];
    std::string subject = "invoice " + inv.invoice_id;
    auto bad = [&](std::string detail) {
      out.push_back({std::string(kInvoiceStatus), subject, std::move(detail)});
    };
    if (inv.number != static_cast<int64_t>(i) + 1 ||
        inv.invoice_id != a.account_id + "-" + std::to_string(inv.number)) {
      bad("numbered out of sequence (R-I2)");
    }
    if (inv.total <= 0) {  // R-I4, D-35
      if (inv.status != InvoiceStatus::kPaid || inv.amount_due != 0 || inv.applied != 0) {
        bad("total " + Amount(a, inv.total) + " must be paid, amount_due 0, nothing applied (R-I4, D-35)");
      }
      continue;
    }
    if (inv.status == InvoiceStatus::kOpen && inv.amount_due <= 0) bad("open with amount_due 0");
    if (inv.status == InvoiceStatus::kPaid && inv.amount_due != 0) {
      bad("paid with amount_due " + Amount(a, inv.amount_due));
    }
    if (inv.status == InvoiceStatus::kVoid && (inv.applied != 0 || inv.credited != 0)) {
      bad("void invoice had something applied or credited (R-I6, D-37)");
    }
  }
  return out;
}

Violations CheckSettlementWithinTotal(const AccountState& a) {
  Violations out;
  std::map<std::string, internal::CheckedSum> paid_to;  // payment applications per invoice
  for (const auto& p : a.payments) {
    internal::CheckedSum applied;
    for (const auto& app : p.applied) {
      applied.Add(app.amount);
      paid_to[app.invoice_id].Add(app.amount);
      if (app.amount <= 0 || a.FindInvoice(app.invoice_id) == nullptr) {
        out.push_back({std::string(kSettlementWithinTotal), "payment " + p.payment_id,
                       "application to " + app.invoice_id + " is not a positive amount on a known invoice"});
      }
    }
    if (!applied.ok() || applied.value() > p.amount) {
      out.push_back({std::string(kSettlementWithinTotal), "payment " + p.payment_id,
                     "applications exceed the payment amount " + Amount(a, p.amount)});
    }
  }
  for (const Invoice& inv : a.invoices) {
    std::string subject = "invoice " + inv.invoice_id;
    if (inv.total <= 0) continue;  // nothing can be applied (CheckInvoiceStatus)
    // amount_due = total - applied - (applied parts of credit notes)   (R-I3)
    std::optional<Int128> settled = engine::CheckedSub(inv.total, inv.amount_due);
    std::optional<Int128> note_part = settled ? engine::CheckedSub(*settled, inv.applied) : std::nullopt;
    if (inv.amount_due < 0 || inv.applied < 0 || !note_part || *note_part < 0 || *note_part > inv.credited) {
      out.push_back({std::string(kSettlementWithinTotal), subject,
                     "total " + Amount(a, inv.total) + ", amount_due " + Amount(a, inv.amount_due) +
                         ", applied " + Amount(a, inv.applied) + ", credited " + Amount(a, inv.credited) +
                         ": payments, credit and credit notes do not add up within the total"});
    }
    auto it = paid_to.find(inv.invoice_id);
    if (it != paid_to.end() && (!it->second.ok() || it->second.value() > inv.applied)) {
      out.push_back({std::string(kSettlementWithinTotal), subject,
                     "payment applications exceed what the invoice counts as applied " + Amount(a, inv.applied)});
    }
  }
  return out;
}

Violations CheckCreditNotesWithinTotal(const AccountState& a) {
  Violations out;
  std::map<std::string, internal::CheckedSum> noted;
  for (const auto& cn : a.credit_notes) {
    if (cn.amount <= 0 || a.FindInvoice(cn.invoice_id) == nullptr) {
      out.push_back({std::string(kCreditNotesWithinTotal), "credit note " + cn.credit_note_id,
                     "not a positive amount on a known invoice"});
    }
    noted[cn.invoice_id].Add(cn.amount);
  }
  for (const Invoice& inv : a.invoices) {
    Int128 sum = 0;
    bool ok = true;
    if (auto it = noted.find(inv.invoice_id); it != noted.end()) {
      ok = it->second.ok();
      sum = it->second.value();
    }
    if (!ok || sum != inv.credited || inv.credited < 0 || (inv.credited > 0 && inv.credited > inv.total)) {
      out.push_back({std::string(kCreditNotesWithinTotal), "invoice " + inv.invoice_id,
                     "credited " + Amount(a, inv.credited) + " (credit notes sum " + Amount(a, sum) +
                         ") must not exceed total " + Amount(a, inv.total)});
    }
  }
  return out;
}

Violations CheckNoCreditWithOpenInvoice(const AccountState& a) {
  Violations out;
  bool any_open = false;
  for (const Invoice& inv : a.invoices) any_open = any_open || inv.status == InvoiceStatus::kOpen;
  if (a.credit > 0 && any_open) {
    out.push_back({std::string(kNoCreditWithOpenInvoice), AccountSubject(a),
                   "credit " + Amount(a, a.credit) + " together with open invoices (R-I5, D-36)"});
  }
  return out;
}

Violations CheckRefundsWithinPayment(const AccountState& a) {
  Violations out;
  std::map<std::string, internal::CheckedSum> refunded;
  for (const auto& r : a.refunds) {
    if (r.amount <= 0 || a.FindPayment(r.payment_id) == nullptr) {
      out.push_back({std::string(kRefundsWithinPayment), "refund " + r.refund_id,
                     "not a positive amount of a known payment"});
    }
    refunded[r.payment_id].Add(r.amount);
  }
  for (const auto& p : a.payments) {
    Int128 sum = 0;
    bool ok = true;
    if (auto it = refunded.find(p.payment_id); it != refunded.end()) {
      ok = it->second.ok();
      sum = it->second.value();
    }
    if (!ok || sum != p.refunded || p.refunded < 0 || p.refunded > p.amount) {
      out.push_back({std::string(kRefundsWithinPayment), "payment " + p.payment_id,
                     "refunded " + Amount(a, p.refunded) + " (refunds sum " + Amount(a, sum) +
                         ") must lie within the amount " + Amount(a, p.amount)});
    }
  }
  return out;
}

Violations CheckOneCurrency(const AccountState& a, const engine::CatalogState& catalog) {
  Violations out;
  for (const auto& sub : a.subscriptions) {
    for (const auto& change : sub.timeline) {
      auto it = catalog.plans.find(change.terms.plan_id);
      if (it == catalog.plans.end()) {
        out.push_back({std::string(kOneCurrency), "subscription " + sub.subscription_id,
                       "plan " + change.terms.plan_id + " is not in the catalog"});
      } else if (it->second.currency.code != a.currency.code) {
        out.push_back({std::string(kOneCurrency), "subscription " + sub.subscription_id,
                       "plan " + change.terms.plan_id + " in " + std::string(it->second.currency.code) +
                           ", account in " + std::string(a.currency.code)});
      }
    }
  }
  return out;
}

Violations CheckAccount(const AccountState& a, const engine::CatalogState* catalog) {
  Violations out;
  Append(&out, CheckCreditNonNegative(a));
  Append(&out, CheckReceivableMatchesOpenInvoices(a));
  Append(&out, CheckInvoiceTotals(a));
  Append(&out, CheckInvoiceStatus(a));
  Append(&out, CheckRecurringBilledOnce(a));
  Append(&out, CheckUsageBilledOnce(a));
  Append(&out, CheckSettlementWithinTotal(a));
  Append(&out, CheckCreditNotesWithinTotal(a));
  Append(&out, CheckNoCreditWithOpenInvoice(a));
  Append(&out, CheckRefundsWithinPayment(a));
  if (catalog != nullptr) Append(&out, CheckOneCurrency(a, *catalog));
  return out;
}

}  // namespace accrue::invariants
