// Helpers shared by decide.cpp and bill_run.cpp (not a public interface).
#ifndef ACCRUE_ENGINE_DECIDE_INTERNAL_H_
#define ACCRUE_ENGINE_DECIDE_INTERNAL_H_

#include <optional>
#include <string>
#include <utility>

#include "engine/decide.h"

namespace accrue::engine::internal {

// D-36 credit netting: applies `credit` to the open invoices of `s` in ascending
// number (skipping `settled_invoice`, whose amount_due this command brought to 0),
// then to `new_invoice` (issued by this command; it has the highest number).
// Returns a CreditApplied event, or nullopt when nothing is applied.
std::optional<v1::BillingEvent> NetCredit(
    const AccountState& s, Int128 credit, const std::string& settled_invoice,
    const std::optional<std::pair<std::string, Int128>>& new_invoice);

// "<account_id>-<number>" (R-I2).
std::string InvoiceId(const AccountState& s, int64_t number);

Rejection Overflow(std::string what);

}  // namespace accrue::engine::internal

#endif  // ACCRUE_ENGINE_DECIDE_INTERNAL_H_
