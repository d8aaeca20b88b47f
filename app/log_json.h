// Small JSON helpers for `accrue log` and `accrue bench` output: string
// escaping, base64 and the JSON line of one RecordedEvent (docs/cli.md).
//
// Thread-safety: stateless functions.
#ifndef ACCRUE_APP_LOG_JSON_H_
#define ACCRUE_APP_LOG_JSON_H_

#include <string>
#include <string_view>

#include "events/event_store.h"

namespace accrue::app {

// `s` as a JSON string literal, quotes included (control bytes as \u00XX).
std::string JsonString(std::string_view s);
std::string Base64(std::string_view bytes);

// The payload (an events::v1::BillingEvent) as protobuf's JSON with the .proto's
// field names ({"invoice_issued":{"invoice_id":"acme-1",...}}); null when it
// does not decode (`log verify` names such a position).
std::string PayloadJson(std::string_view payload);

// {"position":..,"stream":..,"version":..,"type":..,"schema_version":..,
//  "recorded_at_us":..,"idempotency_key":..,"correlation_id":..,"causation_id":..,
//  "payload_base64":..,"payload":{..}|null,"prev_hash":"<hex>","hash":"<hex>"}
std::string EventJson(const events::RecordedEvent& e);

}  // namespace accrue::app

#endif  // ACCRUE_APP_LOG_JSON_H_
