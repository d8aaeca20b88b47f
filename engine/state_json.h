// State JSON: the contract's "Account state" (contract.md, D-13, D-14, D-20,
// D-29, D-33..D-35, D-45), a plan (docs/cli.md "inspect plan"), and invoices.
//
// Keys are written in the contract's fixed order and amounts with the currency's
// exponent, so two states compare byte for byte. Compact UTF-8 (JsonWriter).
// Thread-safety: pure functions.
#ifndef ACCRUE_ENGINE_STATE_JSON_H_
#define ACCRUE_ENGINE_STATE_JSON_H_

#include <string>

#include "engine/json.h"
#include "engine/state.h"

namespace accrue::engine {

// `inspect account` / GET /v1/accounts/{id}. The account must exist.
std::string AccountStateJson(const AccountState& account);

// One invoice object, as inside the account state (GET /v1/invoices/{id}).
std::string InvoiceStateJson(const AccountState& account, const Invoice& invoice);

// {"account_id":..,"invoices":[...]} (GET /v1/accounts/{id}/invoices).
std::string AccountInvoicesStateJson(const AccountState& account);

// `inspect plan`: {"plan_id","currency","interval","interval_count","amount","meters":[{"meter","unit_price"}]}.
std::string PlanStateJson(const Plan& plan);

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_STATE_JSON_H_
