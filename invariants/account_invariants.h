// Account invariants: checkers over one folded account state (engine/state.h).
//
// Each function checks ONE invariant of docs/invariants.md over a state built by
// evolve() and returns every violation it finds (empty = holds). They never
// assert and never throw, so a corrupted or hand-built state is reported, not
// crashed on. They read only the state (and, for INV-ONE-CURRENCY, the catalog),
// so reconcile can run them on states folded from the log.
//
// Cost: each is linear in the size of the state (lines, usage records).
// Thread-safety: pure functions over const inputs.
#ifndef ACCRUE_INVARIANTS_ACCOUNT_INVARIANTS_H_
#define ACCRUE_INVARIANTS_ACCOUNT_INVARIANTS_H_

#include "engine/state.h"
#include "invariants/violation.h"

namespace accrue::invariants {

// INV-CREDIT-NONNEG (R-P3, R-L): the account's credit balance is >= 0.
Violations CheckCreditNonNegative(const engine::AccountState& account);

// INV-RECEIVABLE-MATCHES, state side (R-I3, D-35): the account's amount_due equals
// the sum of amount_due over its open invoices, the open-invoice index lists
// exactly the open invoices, and every amount_due is >= 0. The ledger side
// (receivable:<a> == that sum) is CheckLedgerMatchesState (ledger_invariants.h).
Violations CheckReceivableMatchesOpenInvoices(const engine::AccountState& account);

// INV-INVOICE-TOTAL (R-I3): each invoice's total equals the sum of its lines.
Violations CheckInvoiceTotals(const engine::AccountState& account);

// INV-INVOICE-STATUS (R-I3, R-I4, D-35): total <= 0 is `paid` with amount_due 0 and
// nothing applied; an `open` invoice has amount_due > 0; a `paid` one has 0.
Violations CheckInvoiceStatus(const engine::AccountState& account);

// INV-RECURRING-ONCE (R-I1, R-S6, D-22, D-37): each (subscription, period) has
// its recurring lines on exactly one invoice when the period was invoiced (void
// invoices included: their items stay invoiced), none when it was not, and none
// for a period starting at or after a cancellation's end. Segment lines of one
// period lie inside it and do not overlap (R-S4).
Violations CheckRecurringBilledOnce(const engine::AccountState& account);

// INV-USAGE-ONCE (R-S7, D-26): per (subscription, period, meter), the usage
// billed on invoices plus the usage still unbilled equals the usage recorded;
// usage lines bill only periods that had ended at the invoice's issued_at.
Violations CheckUsageBilledOnce(const engine::AccountState& account);

// INV-SETTLEMENT-WITHIN-TOTAL (R-I3, R-P1, R-P2, D-36): per invoice, payments and
// credit applied plus the applied parts of credit notes never exceed the total
// (equivalently 0 <= amount_due and the derived credit-note part lies within
// [0, credited]); each payment's applications never exceed its amount.
Violations CheckSettlementWithinTotal(const engine::AccountState& account);

// INV-CREDIT-NOTES-WITHIN-TOTAL (R-P2, D-40): per invoice, credit notes never
// exceed the total, and the invoice's `credited` is the sum of its credit notes.
Violations CheckCreditNotesWithinTotal(const engine::AccountState& account);

// INV-NO-CREDIT-WITH-OPEN (R-I5, D-36): never credit > 0 and an open invoice.
Violations CheckNoCreditWithOpenInvoice(const engine::AccountState& account);

// INV-REFUNDS-WITHIN-PAYMENT (R-P3): per payment, refunded <= amount and
// `refunded` is the sum of its refunds.
Violations CheckRefundsWithinPayment(const engine::AccountState& account);

// INV-ONE-CURRENCY (R-S2, R-S5, R-P1): every plan a subscription has used is in
// the account's currency (looked up in `catalog`; an unknown plan is reported).
Violations CheckOneCurrency(const engine::AccountState& account,
                            const engine::CatalogState& catalog);

// Every checker above (INV-ONE-CURRENCY when `catalog` is not null).
Violations CheckAccount(const engine::AccountState& account,
                        const engine::CatalogState* catalog);

}  // namespace accrue::invariants

#endif  // ACCRUE_INVARIANTS_ACCOUNT_INVARIANTS_H_
