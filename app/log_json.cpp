#include "app/log_json.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>

#include "accrue/events/v1/billing.pb.h"
#include "events/sha256.h"

namespace accrue::app {

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += "\"";
  return out;
}

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                 (uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2) n |= uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string PayloadJson(std::string_view payload) {
  events::v1::BillingEvent event;
  if (!event.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return "null";
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;   // snake_case, as in billing.proto
  options.always_print_primitive_fields = true;  // a recurring line shows its kind (0)
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(event, &json, options).ok()) return "null";
  return json;
}

std::string EventJson(const events::RecordedEvent& e) {
  std::string out = "{\"position\":" + std::to_string(e.position);
  out += ",\"stream\":" + JsonString(e.stream);
  out += ",\"version\":" + std::to_string(e.version);
  out += ",\"type\":" + JsonString(e.type);
  out += ",\"schema_version\":" + std::to_string(e.schema_version);
  out += ",\"recorded_at_us\":" + std::to_string(e.recorded_at_us);
  out += ",\"idempotency_key\":" + JsonString(e.idempotency_key);
  out += ",\"correlation_id\":" + JsonString(e.correlation_id);
  out += ",\"causation_id\":" + JsonString(e.causation_id);
  out += ",\"payload_base64\":\"" + Base64(e.payload) + "\"";
  out += ",\"payload\":" + PayloadJson(e.payload);
  out += ",\"prev_hash\":\"" + events::ToHex(e.prev_hash) + "\"";
  out += ",\"hash\":\"" + events::ToHex(e.hash) + "\"}";
  return out;
}

}  // namespace accrue::app
