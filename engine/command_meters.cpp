// D-18: the `meters` list of publish_plan. Each entry is checked like a command:
// an unknown key (invalid_field), then a missing key (missing_field), then the values
// (invalid_field): `meter` an id (D-9) not used by an earlier entry, `unit_price` a
// decimal string within D-11 and >= 0. Every rejection names the field `meters`.
// Entries are checked one after another in list order.
#include <string>
#include <string_view>
#include <vector>

#include "engine/command_internal.h"

namespace accrue::engine {
namespace {

constexpr std::string_view kMeterKey = "meter";
constexpr std::string_view kUnitPriceKey = "unit_price";

}  // namespace

void FieldReader::Meters(std::string_view field, std::vector<PlanMeter>* out) {
  const JsonValue* v = Get(field);
  if (v == nullptr) return;
  if (!v->is_array()) {
    Fail(ErrorCode::kInvalidField, field, "\"meters\" must be a list of {meter, unit_price}");
    return;
  }
  std::vector<PlanMeter> meters;
  meters.reserve(v->items.size());
  for (const JsonValue& entry : v->items) {
    if (!MeterEntry(field, entry, &meters)) return;
  }
  *out = std::move(meters);
}

bool FieldReader::MeterEntry(std::string_view field, const JsonValue& entry,
                             std::vector<PlanMeter>* out) {
  if (!entry.is_object()) {
    Fail(ErrorCode::kInvalidField, field, "\"meters\" must be a list of {meter, unit_price}");
    return false;
  }
  for (const auto& [key, value] : entry.members) {
    if (key != kMeterKey && key != kUnitPriceKey) {
      Fail(ErrorCode::kInvalidField, field, Concat({"unknown key ", QuoteForMessage(key), " in a meter"}));
      return false;
    }
  }
  for (std::string_view key : {kMeterKey, kUnitPriceKey}) {
    if (entry.Find(key) == nullptr) {
      Fail(ErrorCode::kMissingField, field, Concat({"a meter needs \"", key, "\""}));
      return false;
    }
  }
  const JsonValue& meter = *entry.Find(kMeterKey);
  if (!meter.is_string() || !IsValidId(meter.text)) {
    Fail(ErrorCode::kInvalidField, field, "a meter name is not a valid id");
    return false;
  }
  for (const PlanMeter& earlier : *out) {
    if (earlier.meter == meter.text) {
      Fail(ErrorCode::kInvalidField, field, Concat({"meter ", QuoteForMessage(meter.text), " is listed twice"}));
      return false;
    }
  }
  const JsonValue& price = *entry.Find(kUnitPriceKey);
  if (!price.is_string() || !IsDecimalSyntax(price.text)) {
    Fail(ErrorCode::kInvalidField, field, "unit_price must be a decimal string");
    return false;
  }
  const std::optional<Decimal> unit_price = ParseDecimal(price.text);
  if (!unit_price) {
    Fail(ErrorCode::kInvalidField, field, "\"meters\" exceeds 24 integer or 12 fraction digits");
    return false;
  }
  if (*unit_price < Decimal{}) {
    Fail(ErrorCode::kInvalidField, field, "unit_price must be >= 0");
    return false;
  }
  out->push_back(PlanMeter{meter.text, *unit_price});
  return true;
}

}  // namespace accrue::engine
