#include "engine/result_json.h"

#include <charconv>
#include <string_view>

#include "engine/json.h"

namespace accrue::engine {
namespace {

// Room reserved for an accepted result besides its key: one with a few events fits.
constexpr std::size_t kAcceptedJsonReserveBytes = 96;

void WriteKey(JsonWriter* w, const std::optional<std::string>& key) {
  w->Key("idempotency_key");
  if (key) {
    w->String(*key);
  } else {
    w->Null();
  }
}

}  // namespace

// Written directly rather than through JsonWriter (one result per command): the
// bytes are exactly what the writer gives for the same members (compact, keys in
// this order, strings through AppendJsonString).
std::string AcceptedJson(const std::optional<std::string>& key, const AcceptedResult& r) {
  auto append_strings = [](std::string* out, const std::vector<std::string>& items) {
    out->push_back('[');
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out->push_back(',');
      AppendJsonString(out, items[i]);
    }
    out->push_back(']');
  };
  std::string out;
  out.reserve(kAcceptedJsonReserveBytes + (key ? key->size() : 0));
  out.append("{\"idempotency_key\":");
  if (key) {
    AppendJsonString(&out, *key);
  } else {
    out.append("null");
  }
  out.append(",\"status\":\"accepted\"");
  if (r.position) {
    char digits[24];  // a uint64_t has at most 20 digits
    out.append(",\"position\":");
    out.append(digits, std::to_chars(digits, digits + sizeof digits, *r.position).ptr);
  }
  out.append(",\"events\":");
  append_strings(&out, r.events);
  if (r.run) {
    out.append(",\"invoices\":");
    append_strings(&out, r.invoices);
    out.append(",\"skipped\":[");
    for (std::size_t i = 0; i < r.skipped.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.append("{\"account_id\":");
      AppendJsonString(&out, r.skipped[i].account_id);
      out.append(",\"code\":");
      AppendJsonString(&out, ErrorCodeName(r.skipped[i].code));
      out.push_back('}');
    }
    out.push_back(']');
  }
  if (r.replayed) out.append(",\"replayed\":true");
  out.push_back('}');
  return out;
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
  if (!r.field.empty() || r.empty_field_name) {  // D-45
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
