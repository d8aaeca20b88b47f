#include "engine/result_json.h"

#include <charconv>
#include <string_view>

#include "engine/json.h"

namespace accrue::engine {
namespace {

void WriteKey(JsonWriter* w, const std::optional<std::string>& key) {
  w->Key("idempotency_key");
  if (key) {
    w->String(*key);
  } else {
    w->Null();
  }
}

}  // namespace

std::string AcceptedJson(const std::optional<std::string>& key, const AcceptedResult& r) {
  JsonWriter w;
  w.BeginObject();
  WriteKey(&w, key);
  w.Key("status");
  w.String("accepted");
  if (r.position) {
    w.Key("position");
    w.UInt(*r.position);
  }
  w.Key("events");
  w.BeginArray();
  for (const auto& e : r.events) w.String(e);
  w.EndArray();
  if (r.run) {
    w.Key("invoices");
    w.BeginArray();
    for (const auto& i : r.invoices) w.String(i);
    w.EndArray();
    w.Key("skipped");
    w.BeginArray();
    for (const auto& s : r.skipped) {
      w.BeginObject();
      w.Key("account_id");
      w.String(s.account_id);
      w.Key("code");
      w.String(ErrorCodeName(s.code));
      w.EndObject();
    }
    w.EndArray();
  }
  if (r.replayed) {
    w.Key("replayed");
    w.Bool(true);
  }
  w.EndObject();
  return w.Take();
}

std::string RejectedJson(const std::optional<std::string>& key, const Rejection& r) {
  JsonWriter w;
  w.BeginObject();
  WriteKey(&w, key);
  w.Key("status");
  w.String("rejected");
  w.Key("error");
  w.BeginObject();
  w.Key("code");
  w.String(ErrorCodeName(r.code));
  w.Key("message");
  w.String(r.message);
  if (!r.field.empty()) {  // D-45
    w.Key("field");
    w.String(r.field);
  }
  w.EndObject();
  w.EndObject();
  return w.Take();
}

std::string FailedJson(const std::optional<std::string>& key, const std::string& message) {
  JsonWriter w;
  w.BeginObject();
  WriteKey(&w, key);
  w.Key("status");
  w.String("failed");
  w.Key("error");
  w.BeginObject();
  w.Key("code");
  w.String(ErrorCodeName(ErrorCode::kUnavailable));
  w.Key("message");
  w.String(message);
  w.EndObject();
  w.EndObject();
  return w.Take();
}

std::string RenderStored(const std::string& stored, uint64_t last_position) {
  static const std::string kEvents = ",\"events\":[";
  if (last_position == 0 || stored.find(",\"position\":") != std::string::npos) return stored;
  auto at = stored.find(kEvents);
  if (at == std::string::npos || at + kEvents.size() >= stored.size() ||
      stored[at + kEvents.size()] == ']') {
    return stored;
  }
  static constexpr std::string_view kPosition = ",\"position\":";
  char digits[24];  // a uint64_t has at most 20 digits
  const auto end = std::to_chars(digits, digits + sizeof digits, last_position).ptr;
  std::string out;
  out.reserve(stored.size() + kPosition.size() + static_cast<std::size_t>(end - digits));
  out.append(stored, 0, at);
  out.append(kPosition);
  out.append(digits, end);
  out.append(stored, at, std::string::npos);
  return out;
}

std::string AddReplayed(const std::string& result) {
  static const std::string kReplayed = ",\"replayed\":true}";
  if (result.size() >= kReplayed.size() &&
      result.compare(result.size() - kReplayed.size(), kReplayed.size(), kReplayed) == 0) {
    return result;
  }
  return result.substr(0, result.size() - 1) + kReplayed;
}

}  // namespace accrue::engine
