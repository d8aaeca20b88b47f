// Violation: one broken invariant, reported as a value (never an assert) so the
// same checkers serve the property tests, the crash tests and the nightly
// reconcile (docs/invariants.md).
//
// Each invariant has a stable id ("INV-CREDIT-NONNEG", ...) listed below and in
// docs/invariants.md; a violation names it, the subject it was found on (an
// account, an invoice, a stream position) and a human-readable detail with the
// numbers that disagree.
//
// Thread-safety: plain values.
#ifndef ACCRUE_INVARIANTS_VIOLATION_H_
#define ACCRUE_INVARIANTS_VIOLATION_H_

#include <string>
#include <string_view>
#include <vector>

namespace accrue::invariants {

// The catalogue of docs/invariants.md.
inline constexpr std::string_view kJournalBalanced = "INV-JOURNAL-BALANCED";
inline constexpr std::string_view kReceivableMatches = "INV-RECEIVABLE-MATCHES";
inline constexpr std::string_view kCreditMatchesLedger = "INV-CREDIT-MATCHES-LEDGER";
inline constexpr std::string_view kCreditNonNegative = "INV-CREDIT-NONNEG";
inline constexpr std::string_view kInvoiceTotal = "INV-INVOICE-TOTAL";
inline constexpr std::string_view kInvoiceStatus = "INV-INVOICE-STATUS";
inline constexpr std::string_view kRecurringOnce = "INV-RECURRING-ONCE";
inline constexpr std::string_view kUsageOnce = "INV-USAGE-ONCE";
inline constexpr std::string_view kSettlementWithinTotal = "INV-SETTLEMENT-WITHIN-TOTAL";
inline constexpr std::string_view kCreditNotesWithinTotal = "INV-CREDIT-NOTES-WITHIN-TOTAL";
inline constexpr std::string_view kNoCreditWithOpenInvoice = "INV-NO-CREDIT-WITH-OPEN";
inline constexpr std::string_view kRefundsWithinPayment = "INV-REFUNDS-WITHIN-PAYMENT";
inline constexpr std::string_view kOneCurrency = "INV-ONE-CURRENCY";
inline constexpr std::string_view kReplayEqual = "INV-REPLAY-EQUAL";

struct Violation {
  std::string invariant;  // one of the ids above
  std::string subject;    // "account acme", "invoice acme-3", "position 17"
  std::string detail;     // what disagrees, with the numbers

  std::string ToString() const { return invariant + " " + subject + ": " + detail; }
};

using Violations = std::vector<Violation>;

// Appends `more` to `out`.
inline void Append(Violations* out, Violations more) {
  for (auto& v : more) out->push_back(std::move(v));
}

}  // namespace accrue::invariants

#endif  // ACCRUE_INVARIANTS_VIOLATION_H_
