// The command decoder's entry points: D-1 step 2 (ExtractIdempotencyKey, D-4) and
// steps 4-6 (command name, unknown fields, required fields), then the per-command
// steps 7-8 of command_decoders.cpp.
//
// The field table below is contract.md's: for each command its fields in the order
// of the example line (D-1 "field order"; run_billing's account_id after as_of) and
// whether each is required.
#include <array>
#include <string>
#include <string_view>

#include "engine/command.h"
#include "engine/command_internal.h"

namespace accrue::engine {
namespace {

constexpr std::string_view kCommandField = "command";
constexpr std::string_view kIdempotencyKeyField = "idempotency_key";

struct FieldSpec {
  std::string_view name;
  bool required;
};

constexpr std::size_t kMaxFieldsPerCommand = 6;

struct CommandSpec {
  std::string_view name;
  std::array<FieldSpec, kMaxFieldsPerCommand> fields;  // unused slots have empty names
  DecodeResult (*decode)(const JsonValue&);
};

constexpr bool R = true;   // required
constexpr bool O = false;  // optional

// In std::variant order of Command (CommandName relies on it).
constexpr std::array<CommandSpec, 14> kCommands = {{
    {"open_account", {{{"account_id", R}, {"currency", R}, {"timezone", O}}}, DecodeOpenAccount},
    {"publish_plan",
     {{{"plan_id", R}, {"currency", R}, {"interval", R}, {"interval_count", O}, {"amount", R},
       {"meters", O}}},
     DecodePublishPlan},
    {"subscribe",
     {{{"subscription_id", R}, {"account_id", R}, {"plan_id", R}, {"quantity", O}, {"start", R}}},
     DecodeSubscribe},
    {"change_subscription",
     {{{"subscription_id", R}, {"plan_id", O}, {"quantity", O}, {"effective", R}}},
     DecodeChangeSubscription},
    {"cancel_subscription", {{{"subscription_id", R}, {"effective", R}, {"mode", O}}},
     DecodeCancelSubscription},
    {"record_usage",
     {{{"usage_id", R}, {"subscription_id", R}, {"meter", R}, {"quantity", R}, {"at", R}}},
     DecodeRecordUsage},
    {"run_billing", {{{"as_of", R}, {"account_id", O}}}, DecodeRunBilling},
    {"record_payment",
     {{{"payment_id", R}, {"account_id", R}, {"amount", R}, {"currency", R}, {"received_at", R},
       {"external_ref", R}}},
     DecodeRecordPayment},
    {"issue_credit_note",
     {{{"credit_note_id", R}, {"invoice_id", R}, {"amount", R}, {"reason", R}}},
     DecodeIssueCreditNote},
    {"refund_payment", {{{"refund_id", R}, {"payment_id", R}, {"amount", R}}}, DecodeRefundPayment},
    {"reverse_payment", {{{"payment_id", R}, {"reversed_at", R}, {"reason", R}}},
     DecodeReversePayment},
    {"void_invoice", {{{"invoice_id", R}}}, DecodeVoidInvoice},
    {"mark_uncollectible", {{{"invoice_id", R}}}, DecodeMarkUncollectible},
    {"close_account", {{{"account_id", R}}}, DecodeCloseAccount},
}};
static_assert(kCommands.size() == std::variant_size_v<Command>);

const CommandSpec* FindSpec(std::string_view name) {
  for (const CommandSpec& spec : kCommands) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

bool IsKnownField(const CommandSpec& spec, std::string_view key) {
  if (key == kCommandField || key == kIdempotencyKeyField) return true;
  for (const FieldSpec& field : spec.fields) {
    if (!field.name.empty() && field.name == key) return true;
  }
  return false;
}

bool IsIdStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

std::string_view CommandName(const Command& command) { return kCommands[command.index()].name; }

bool IsValidId(std::string_view id, std::size_t max_length) {
  if (id.empty() || id.size() > max_length || !IsIdStart(id[0])) return false;
  for (char c : id.substr(1)) {
    if (!IsIdStart(c) && c != '_' && c != '.' && c != ':' && c != '-') return false;
  }
  return true;
}

std::variant<std::string, Rejection> ExtractIdempotencyKey(const JsonValue& object) {
  const JsonValue* key = object.Find(kIdempotencyKeyField);
  if (key == nullptr) {
    return Reject(ErrorCode::kMissingField, std::string(kIdempotencyKeyField),
                  "\"idempotency_key\" is required");
  }
  bool valid = key->is_string() && !key->text.empty() &&
               key->text.size() <= kMaxIdempotencyKeyLength;
  if (valid) {
    for (char c : key->text) {
      if (c < 0x20 || c > 0x7E) valid = false;  // D-4: printable ASCII, space included
    }
  }
  if (!valid) {
    return Reject(ErrorCode::kInvalidField, std::string(kIdempotencyKeyField),
                  "\"idempotency_key\" must be 1-255 printable ASCII characters");
  }
  return key->text;
}

std::variant<Command, Rejection> DecodeCommand(const JsonValue& object) {
  if (!object.is_object()) return Reject(ErrorCode::kInvalidJson, "", "not a JSON object");
  // Step 4.
  const JsonValue* name = object.Find(kCommandField);
  if (name == nullptr) {
    return Reject(ErrorCode::kMissingField, std::string(kCommandField), "\"command\" is required");
  }
  if (!name->is_string()) {
    return Reject(ErrorCode::kUnknownCommand, std::string(kCommandField),
                  "\"command\" must be a command name");
  }
  const CommandSpec* spec = FindSpec(name->text);
  if (spec == nullptr) {
    // Built by appending: GCC 12 warns falsely (-Wrestrict) on literal + string here.
    std::string message = "unknown command ";
    message.append(QuoteForMessage(name->text));
    message[16] = '\'';
    message.back() = '\'';
    return Reject(ErrorCode::kUnknownCommand, std::string(kCommandField), std::move(message));
  }
  // Step 5: the first unknown field in the object's order.
  for (const auto& [key, value] : object.members) {
    if (!IsKnownField(*spec, key)) {
      std::string message = "unknown field ";
      message.append(QuoteForMessage(key));
      Rejection r = Reject(ErrorCode::kInvalidField, key, std::move(message));
      r.empty_field_name = key.empty();
      return r;
    }
  }
  // Step 6: the first missing required field in the contract's order (a null value
  // is present, D-2).
  for (const FieldSpec& field : spec->fields) {
    if (field.required && object.Find(field.name) == nullptr) {
      std::string message = "\"";
      message.append(field.name).append("\" is required");
      return Reject(ErrorCode::kMissingField, std::string(field.name), std::move(message));
    }
  }
  // Steps 7-8.
  return spec->decode(object);
}

}  // namespace accrue::engine
