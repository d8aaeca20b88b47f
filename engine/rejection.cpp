#include "engine/rejection.h"

namespace accrue::engine {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidJson: return "invalid_json";
    case ErrorCode::kUnknownCommand: return "unknown_command";
    case ErrorCode::kMissingField: return "missing_field";
    case ErrorCode::kInvalidField: return "invalid_field";
    case ErrorCode::kUnknownCurrency: return "unknown_currency";
    case ErrorCode::kAmountPrecision: return "amount_precision";
    case ErrorCode::kAmountOverflow: return "amount_overflow";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kAlreadyExists: return "already_exists";
    case ErrorCode::kCurrencyMismatch: return "currency_mismatch";
    case ErrorCode::kIntervalMismatch: return "interval_mismatch";
    case ErrorCode::kInvalidState: return "invalid_state";
    case ErrorCode::kInsufficientCredit: return "insufficient_credit";
    case ErrorCode::kExceedsRefundable: return "exceeds_refundable";
    case ErrorCode::kExceedsCreditable: return "exceeds_creditable";
    case ErrorCode::kIdempotencyKeyReused: return "idempotency_key_reused";
    case ErrorCode::kIdempotencyInProgress: return "idempotency_in_progress";
    case ErrorCode::kUnauthorized: return "unauthorized";
    case ErrorCode::kForbidden: return "forbidden";
    case ErrorCode::kPayloadTooLarge: return "payload_too_large";
    case ErrorCode::kRateLimited: return "rate_limited";
    case ErrorCode::kUnavailable: return "unavailable";
  }
  return "unknown";
}

}  // namespace accrue::engine
