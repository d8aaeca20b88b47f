// Commands: the typed form of contract.md's command JSON, and the decoder that
// performs D-1 steps 2 and 4-8 (everything that needs no stored state).
//
// Steps 1 (invalid_json) is ParseJsonObjectLine (json.h); step 3 (idempotency) is
// the command service's; steps 9-12 (already_exists, not_found, state checks) are
// decide()'s. Amounts whose currency comes from a referenced entity (credit note,
// refund; D-1 step 11) stay as validated decimal text here and are parsed by decide().
//
// Thread-safety: values and pure functions.
#ifndef ACCRUE_ENGINE_COMMAND_H_
#define ACCRUE_ENGINE_COMMAND_H_

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/calendar.h"
#include "engine/currency.h"
#include "engine/decimal.h"
#include "engine/int128.h"
#include "engine/json.h"
#include "engine/rejection.h"

namespace accrue::engine {

inline constexpr std::size_t kMaxIdempotencyKeyLength = 255;
inline constexpr std::size_t kMaxTextFieldLength = 255;  // external_ref, reason
// PublishPlan::months_per_period saturates here (D-31: interval_count has no upper
// bound). Any period this long ends after 9999-12-31, so it is never due; compare
// (interval, interval_count) when two such plans must be told apart.
inline constexpr int64_t kMaxMonthsPerPeriod = 10'000'000'000'000'000;

struct OpenAccount {
  std::string account_id;
  Currency currency;
  std::string timezone;  // as given (D-15), default "UTC"; validated
};

enum class Interval { kMonth, kYear };

// interval x interval_count (positive decimal digits) in months, saturated at
// kMaxMonthsPerPeriod (D-31). The command decoder and the snapshot decoder use it.
int64_t MonthsPerPeriod(Interval interval, const std::string& count_digits);

struct PlanMeter {
  std::string meter;
  Decimal unit_price;  // >= 0
};

struct PublishPlan {
  std::string plan_id;
  Currency currency;
  Interval interval;
  std::string interval_count;   // normalised digits of the JSON integer (>= 1, D-31), "1" when absent
  int64_t months_per_period;    // interval x interval_count in months, saturated (D-31)
  Int128 amount;                // minor units, >= 0
  std::vector<PlanMeter> meters;  // source order; names distinct
};

struct Subscribe {
  std::string subscription_id;
  std::string account_id;
  std::string plan_id;
  Int128 quantity = 1;  // 1 .. 10^24-1 (D-16)
  Instant start;
};

struct ChangeSubscription {
  std::string subscription_id;
  std::optional<std::string> plan_id;
  std::optional<Int128> quantity;  // at least one of plan_id, quantity (D-30)
  Instant effective;
};

enum class CancelMode { kEndOfPeriod, kImmediate };

struct CancelSubscription {
  std::string subscription_id;
  Instant effective;
  CancelMode mode = CancelMode::kEndOfPeriod;
};

struct RecordUsage {
  std::string usage_id;
  std::string subscription_id;
  std::string meter;
  Decimal quantity;  // > 0 (D-17)
  Instant at;
};

struct RunBilling {
  Instant as_of;
  std::optional<std::string> account_id;
};

struct RecordPayment {
  std::string payment_id;
  std::string account_id;
  Int128 amount;  // minor units of `currency`, > 0
  Currency currency;
  Instant received_at;
  std::string external_ref;
};

struct IssueCreditNote {
  std::string credit_note_id;
  std::string invoice_id;
  std::string amount;  // decimal syntax checked; parsed in the invoice's currency by decide()
  std::string reason;
};

struct RefundPayment {
  std::string refund_id;
  std::string payment_id;
  std::string amount;  // decimal syntax checked; parsed in the payment's currency by decide()
};

struct ReversePayment {
  std::string payment_id;
  Instant reversed_at;
  std::string reason;
};

struct VoidInvoice {
  std::string invoice_id;
};

struct MarkUncollectible {
  std::string invoice_id;
};

struct CloseAccount {
  std::string account_id;
};

using Command =
    std::variant<OpenAccount, PublishPlan, Subscribe, ChangeSubscription, CancelSubscription,
                 RecordUsage, RunBilling, RecordPayment, IssueCreditNote, RefundPayment,
                 ReversePayment, VoidInvoice, MarkUncollectible, CloseAccount>;

// "open_account", "publish_plan", ...
std::string_view CommandName(const Command& command);

// D-1 step 2 and D-4: the idempotency key of a parsed command object, or a
// rejection (missing_field / invalid_field, field "idempotency_key").
std::variant<std::string, Rejection> ExtractIdempotencyKey(const JsonValue& object);

// D-1 steps 4-8 and D-2, D-9..D-18 (syntax and stateless values).
std::variant<Command, Rejection> DecodeCommand(const JsonValue& object);

// D-9 id syntax: [A-Za-z0-9][A-Za-z0-9_.:-]{0,max_length-1}.
bool IsValidId(std::string_view id, std::size_t max_length = 64);

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_COMMAND_H_
