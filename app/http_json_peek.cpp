#include "app/http_json_peek.h"

#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <array>

namespace accrue::app {
namespace {

// SAX handler that remembers the first string value of two top-level keys.
struct PeekHandler : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, PeekHandler> {
  PeekedCommand* out;
  int depth = 0;
  std::optional<std::string>* pending = nullptr;

  explicit PeekHandler(PeekedCommand* o) : out(o) {}

  bool Default() {
    pending = nullptr;
    return true;
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (pending != nullptr && !pending->has_value()) pending->emplace(s, n);
    pending = nullptr;
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    pending = nullptr;
    if (depth != 1) return true;
    std::string_view k(s, n);
    if (k == "command") pending = &out->command;
    if (k == "idempotency_key") pending = &out->idempotency_key;
    return true;
  }
  bool StartObject() {
    pending = nullptr;
    ++depth;
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth;
    return true;
  }
  bool StartArray() {
    pending = nullptr;
    ++depth;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth;
    return true;
  }
};

}  // namespace

PeekedCommand PeekCommand(std::string_view body) {
  PeekedCommand out;
  rapidjson::MemoryStream ms(body.data(), body.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(ms);
  PeekHandler handler(&out);
  rapidjson::Reader reader;
  // The result is ignored on purpose: whatever was read before an error is kept.
  (void)reader.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag |
                     rapidjson::kParseValidateEncodingFlag>(in, handler);
  return out;
}

std::string_view CommandLabel(const std::optional<std::string>& command) {
  static constexpr std::array<std::string_view, 14> kNames = {
      "open_account",       "publish_plan",   "subscribe",         "change_subscription", "cancel_subscription",
      "record_usage",       "run_billing",    "record_payment",    "issue_credit_note",   "refund_payment",
      "reverse_payment",    "void_invoice",   "mark_uncollectible", "close_account"};
  if (command) {
    for (auto name : kNames) {
      if (*command == name) return name;
    }
  }
  return "unknown";
}

}  // namespace accrue::app
