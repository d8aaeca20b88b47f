#include "app/http_errors.h"

#include "app/logging.h"
#include "engine/json.h"

namespace accrue::app {
namespace {

using engine::ErrorCode;

void AppendError(ErrorCode code, std::string_view message, std::string_view field, std::string* out) {
  *out += "\"error\":{\"code\":\"";
  *out += engine::ErrorCodeName(code);
  *out += "\",\"message\":\"";
  AppendJsonEscaped(message, out);
  *out += '"';
  if (!field.empty()) {
    *out += ",\"field\":\"";
    AppendJsonEscaped(field, out);
    *out += '"';
  }
  *out += '}';
}

}  // namespace

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidJson:
    case ErrorCode::kUnknownCommand:
    case ErrorCode::kMissingField:
    case ErrorCode::kInvalidField:
    case ErrorCode::kUnknownCurrency:
    case ErrorCode::kAmountPrecision:
      return 400;
    case ErrorCode::kUnauthorized:
      return 401;
    case ErrorCode::kForbidden:
      return 403;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kInvalidState:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kIdempotencyInProgress:
      return 409;
    case ErrorCode::kPayloadTooLarge:
      return 413;
    case ErrorCode::kIdempotencyKeyReused:
    case ErrorCode::kAmountOverflow:
    case ErrorCode::kCurrencyMismatch:
    case ErrorCode::kIntervalMismatch:
    case ErrorCode::kInsufficientCredit:
    case ErrorCode::kExceedsRefundable:
    case ErrorCode::kExceedsCreditable:
      return 422;
    case ErrorCode::kRateLimited:
      return 429;
    case ErrorCode::kUnavailable:
      return 503;
  }
  return 500;  // unreachable: every code is listed above
}

bool RetryHelps(ErrorCode code) {
  return code == ErrorCode::kIdempotencyInProgress || code == ErrorCode::kRateLimited ||
         code == ErrorCode::kUnavailable;
}

std::string CommandErrorBody(const std::optional<std::string>& idempotency_key, ErrorCode code,
                             std::string_view message, std::string_view field) {
  std::string out = "{\"idempotency_key\":";
  // D-4 echoes the raw key, but a header value may hold bytes that are not UTF-8
  // (HTTP allows obs-text), which no JSON string can carry: such a key is null, as
  // a `post` line that is not UTF-8 is (D-6).
  if (idempotency_key && engine::IsValidUtf8(*idempotency_key)) {
    out += '"';
    AppendJsonEscaped(*idempotency_key, &out);
    out += '"';
  } else {
    out += "null";
  }
  out += RetryHelps(code) ? ",\"status\":\"failed\"," : ",\"status\":\"rejected\",";
  AppendError(code, message, field, &out);
  out += '}';
  return out;
}

std::string PlainErrorBody(ErrorCode code, std::string_view message, std::string_view field) {
  std::string out = "{";
  AppendError(code, message, field, &out);
  out += '}';
  return out;
}

}  // namespace accrue::app
