// Private to the command decoder (command.cpp, command_fields.cpp,
// command_decoders.cpp): FieldReader, the step-7/8 field validators.
//
// A FieldReader walks one command object field by field in the contract's order
// (D-1 step 7, then step 8). Each call checks one field if it is present (absent
// optional fields keep the caller's default; required ones were checked by step 6)
// and records the FIRST rejection; once a rejection is recorded every later call is
// a no-op, so a decoder is a straight list of calls in field order.
#ifndef ACCRUE_ENGINE_COMMAND_INTERNAL_H_
#define ACCRUE_ENGINE_COMMAND_INTERNAL_H_

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/command.h"

namespace accrue::engine {

inline constexpr std::size_t kMaxIdLength = 64;         // D-9
inline constexpr std::size_t kMaxInvoiceIdLength = 85;  // D-9: <account_id>-<number>
inline constexpr std::size_t kMaxQuotedValueBytes = 64;  // user text echoed in messages

// The parts joined (GCC 12 reports -Wrestrict falsely for "literal" + std::string).
std::string Concat(std::initializer_list<std::string_view> parts);

// s truncated to at most kMaxQuotedValueBytes on a UTF-8 boundary, in double quotes.
std::string QuoteForMessage(std::string_view s);

// D-10 syntax: -?[0-9]+(\.[0-9]+)?
bool IsDecimalSyntax(std::string_view s);

// Number of Unicode characters of a valid UTF-8 string.
std::size_t Utf8Length(std::string_view s);

enum class AmountSign { kNonNegative, kPositive };

class FieldReader {
 public:
  explicit FieldReader(const JsonValue& object) : object_(object) {}

  bool ok() const { return !rejection_.has_value(); }
  // Records a rejection unless one is already recorded.
  void Fail(ErrorCode code, std::string_view field, std::string message);
  // The first rejection, if any.
  const std::optional<Rejection>& rejection() const { return rejection_; }

  // ---- D-1 step 7 ----
  // D-9 id; max_length kMaxIdLength or kMaxInvoiceIdLength.
  void Id(std::string_view field, std::string* out, std::size_t max_length = kMaxIdLength);
  void OptionalId(std::string_view field, std::optional<std::string>* out);
  // D-3: a string, else invalid_field; a known code, else unknown_currency.
  void CurrencyCode(std::string_view field, Currency* out);
  // D-15 via TimeZone::Find.
  void TimeZoneName(std::string_view field, std::string* out);
  // D-10 syntax only (amounts; the currency is applied in step 8 or by decide()).
  void DecimalText(std::string_view field, std::string* out);
  // D-10 syntax and D-11 limits (usage quantity).
  void ExactDecimal(std::string_view field, Decimal* out);
  // D-12 via ParseInstant.
  void InstantField(std::string_view field, Instant* out);
  void IntervalField(std::string_view field, Interval* out);
  void CancelModeField(std::string_view field, CancelMode* out);
  // D-31: a JSON integer >= 1; *digits gets its normalised digits.
  void IntervalCount(std::string_view field, std::string* digits);
  // D-16: a JSON integer 1 .. 10^24-1.
  void Quantity(std::string_view field, Int128* out);
  void OptionalQuantity(std::string_view field, std::optional<Int128>* out);
  // D-18: [{meter, unit_price}, ...]; every rejection names `field`.
  void Meters(std::string_view field, std::vector<PlanMeter>* out);
  // external_ref, reason: a string of 1..kMaxTextFieldLength characters.
  void Text(std::string_view field, std::string* out);

  // ---- D-1 step 8 ----
  // D-10 in `currency`: precision, then range, then sign. `text` passed DecimalText.
  void Amount(std::string_view field, std::string_view text, const Currency& currency,
              AmountSign sign, Int128* out);
  // D-17: value > 0.
  void PositiveDecimal(std::string_view field, const Decimal& value);

 private:
  // The present value of `field`, or nullptr (also once a rejection is recorded).
  const JsonValue* Get(std::string_view field) const;
  // Checks one meters entry; false after recording a rejection.
  bool MeterEntry(std::string_view field, const JsonValue& entry, std::vector<PlanMeter>* out);

  const JsonValue& object_;
  std::optional<Rejection> rejection_;
};

using DecodeResult = std::variant<Command, Rejection>;

// Steps 7-8 of one command (command_decoders.cpp). Called by DecodeCommand after
// steps 4-6 passed, so every required field is present.
DecodeResult DecodeOpenAccount(const JsonValue& object);
DecodeResult DecodePublishPlan(const JsonValue& object);
DecodeResult DecodeSubscribe(const JsonValue& object);
DecodeResult DecodeChangeSubscription(const JsonValue& object);
DecodeResult DecodeCancelSubscription(const JsonValue& object);
DecodeResult DecodeRecordUsage(const JsonValue& object);
DecodeResult DecodeRunBilling(const JsonValue& object);
DecodeResult DecodeRecordPayment(const JsonValue& object);
DecodeResult DecodeIssueCreditNote(const JsonValue& object);
DecodeResult DecodeRefundPayment(const JsonValue& object);
DecodeResult DecodeReversePayment(const JsonValue& object);
DecodeResult DecodeVoidInvoice(const JsonValue& object);
DecodeResult DecodeMarkUncollectible(const JsonValue& object);
DecodeResult DecodeCloseAccount(const JsonValue& object);

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_COMMAND_INTERNAL_H_
