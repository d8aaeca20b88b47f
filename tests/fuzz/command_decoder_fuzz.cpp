// libFuzzer target for the input edge of accrue: bytes -> ParseJsonObjectLine ->
// ExtractIdempotencyKey -> DecodeCommand (D-1 steps 1, 2, 4-8).
//
// Beyond "no crash, no sanitizer report" it checks properties that must hold for
// every input:
//  - a refused line always carries an error message;
//  - CanonicalJson is valid JSON and a fixed point: parsing it gives a value that is
//    JsonEqual to the original and has the same canonical form (D-5);
//  - an accepted idempotency key is 1-255 printable ASCII characters (D-4);
//  - decoding the canonical form (keys reordered, whitespace gone, numbers
//    respelled) gives the same outcome kind and the same error code: D-1's order of
//    checks never depends on key order except for WHICH unknown field is named;
//  - a decoded command's name is the "command" field; a rejection names a field
//    (every check of steps 4-8 is about one field; an unknown key "" has the empty
//    name) and has one of the codes that
//    steps 4-8 may produce.
// Build and run: scripts/fuzz.sh [seconds].
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/command.h"
#include "engine/json.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using accrue::engine::ErrorCode;

bool IsDecoderCode(ErrorCode code) {
  switch (code) {
    case ErrorCode::kMissingField:
    case ErrorCode::kInvalidField:
    case ErrorCode::kUnknownCommand:
    case ErrorCode::kUnknownCurrency:
    case ErrorCode::kAmountPrecision:
    case ErrorCode::kAmountOverflow:
      return true;
    default:
      return false;
  }
}

void CheckDecoded(const accrue::engine::JsonValue& object,
                  const std::variant<accrue::engine::Command, accrue::engine::Rejection>& result) {
  if (const auto* command = std::get_if<accrue::engine::Command>(&result)) {
    const accrue::engine::JsonValue* name = object.Find("command");
    FUZZ_CHECK(name != nullptr && name->is_string());
    FUZZ_CHECK(accrue::engine::CommandName(*command) == name->text);
    return;
  }
  const auto& rejection = std::get<accrue::engine::Rejection>(result);
  FUZZ_CHECK(IsDecoderCode(rejection.code));
  // The only field with an empty name is an unknown key "" (step 5).
  FUZZ_CHECK(!rejection.field.empty() || (rejection.empty_field_name && object.Find("") != nullptr));
  FUZZ_CHECK(!rejection.message.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > accrue::engine::kMaxJsonLineBytes) return 0;  // callers refuse these first
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  accrue::engine::JsonValue object;
  std::string error;
  if (!accrue::engine::ParseJsonObjectLine(text, &object, &error)) {
    FUZZ_CHECK(!error.empty());
    return 0;
  }
  FUZZ_CHECK(object.is_object());

  // D-5 canonical form: valid JSON, a fixed point, equal to the original.
  const std::string canonical = accrue::engine::CanonicalJson(object);
  accrue::engine::JsonValue reparsed;
  std::string reparse_error;
  FUZZ_CHECK(accrue::engine::ParseJsonObjectLine(canonical, &reparsed, &reparse_error));
  FUZZ_CHECK(accrue::engine::CanonicalJson(reparsed) == canonical);
  FUZZ_CHECK(accrue::engine::JsonEqual(object, reparsed));

  // D-4.
  const auto key = accrue::engine::ExtractIdempotencyKey(object);
  if (const auto* k = std::get_if<std::string>(&key)) {
    FUZZ_CHECK(!k->empty() && k->size() <= accrue::engine::kMaxIdempotencyKeyLength);
    for (char c : *k) FUZZ_CHECK(c >= 0x20 && c <= 0x7E);
  } else {
    FUZZ_CHECK(std::get<accrue::engine::Rejection>(key).field == "idempotency_key");
  }

  // D-1 steps 4-8, and independence from key order and spelling.
  const auto decoded = accrue::engine::DecodeCommand(object);
  CheckDecoded(object, decoded);
  const auto decoded_again = accrue::engine::DecodeCommand(reparsed);
  CheckDecoded(reparsed, decoded_again);
  FUZZ_CHECK(decoded.index() == decoded_again.index());
  if (const auto* rejection = std::get_if<accrue::engine::Rejection>(&decoded)) {
    FUZZ_CHECK(rejection->code == std::get<accrue::engine::Rejection>(decoded_again).code);
  } else {
    FUZZ_CHECK(std::get<accrue::engine::Command>(decoded).index() ==
               std::get<accrue::engine::Command>(decoded_again).index());
  }
  return 0;
}
