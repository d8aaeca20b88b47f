// decide: the pure business decision of one command (design.md).
//
// Input: a decoded command (D-1 steps 1-8 done by the decoder) and a context the
// command service prepared: the catalog, the account the command acts on (looked
// up by account_id, or through the claim of the subscription / payment / invoice
// it names), and which tenant-wide ids are taken. Output: the events to append
// to ONE stream (the account's or the catalog), the id claims to write with them,
// and result extras; or a Rejection, following D-1 steps 9-12 and each command's
// own order of checks (D-22, D-26, D-27, D-30, D-37..D-44, D-47).
//
// No clock, no I/O: business time comes from the command only.
// Thread-safety: pure functions over const inputs.
#ifndef ACCRUE_ENGINE_DECIDE_H_
#define ACCRUE_ENGINE_DECIDE_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "engine/command.h"
#include "engine/event_codec.h"
#include "engine/rejection.h"
#include "engine/state.h"

namespace accrue::engine {

// Claim kinds (design.md "Tenant-wide unique ids"); the store key is
// "<tenant>/<kind>/<id>".
inline constexpr std::string_view kClaimAccount = "account";
inline constexpr std::string_view kClaimSubscription = "subscription";
inline constexpr std::string_view kClaimUsage = "usage";
inline constexpr std::string_view kClaimPayment = "payment";
inline constexpr std::string_view kClaimExternalRef = "external_ref";
inline constexpr std::string_view kClaimCreditNote = "credit_note";
inline constexpr std::string_view kClaimRefund = "refund";
inline constexpr std::string_view kClaimInvoice = "invoice";

struct DecideContext {
  const CatalogState* catalog = nullptr;  // never null
  // The account the command acts on; nullptr when it does not exist.
  const AccountState* account = nullptr;
  // record_usage: the account owning the usage_id claim, when taken (D-47).
  const AccountState* usage_owner = nullptr;
  // record_usage: the body recorded under the usage_id (the claim's value), when
  // taken and readable (D-47).
  std::optional<UsageFingerprint> usage_fingerprint;
  // Whether "<kind>/<id>" is claimed by any stream of the tenant.
  std::function<bool(std::string_view kind, const std::string& id)> claim_taken;
};

struct Decision {
  enum class Target { kAccount, kCatalog };
  Target target = Target::kAccount;
  std::string account_id;  // kAccount: the stream's account
  std::vector<v1::BillingEvent> events;
  std::vector<std::pair<std::string, std::string>> claims;  // (kind, id)
  bool replayed = false;                // D-18 / D-47: accepted, nothing recorded
  std::vector<std::string> invoices;    // invoices issued (run_billing, reverse_payment)
};

using DecideResult = std::variant<Decision, Rejection>;

DecideResult Decide(const Command& command, const DecideContext& context);

// The value to store with the decision's claim (kind, id): for a usage claim the
// D-47 fingerprint of the UsageRecorded event it names (EncodeUsageFingerprint);
// empty for every other claim.
std::string ClaimValue(const Decision& decision, std::string_view kind, const std::string& id);

// One account's share of a bill run at `as_of` (R-I1, D-24, D-25, D-27). A closed
// account, an as_of before the last run, or nothing new and no as_of advance gives
// a Decision with no events. Rejection only for amount_overflow (D-27).
DecideResult DecideBillRun(const AccountState& account, Instant as_of);

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_DECIDE_H_
