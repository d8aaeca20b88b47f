// Rejection: a business decline with one of the contract's error codes.
//
// decide() returns events or a Rejection; a Rejection is a normal outcome, not an
// error (style.md "Business rejections are not errors"). Codes and their spelling
// are contract.md's "Results" list; ErrorCodeName gives the wire spelling.
#ifndef ACCRUE_ENGINE_REJECTION_H_
#define ACCRUE_ENGINE_REJECTION_H_

#include <string>
#include <string_view>

namespace accrue::engine {

enum class ErrorCode {
  kInvalidJson,
  kUnknownCommand,
  kMissingField,
  kInvalidField,
  kUnknownCurrency,
  kAmountPrecision,
  kAmountOverflow,
  kNotFound,
  kAlreadyExists,
  kCurrencyMismatch,
  kIntervalMismatch,
  kInvalidState,
  kInsufficientCredit,
  kExceedsRefundable,
  kExceedsCreditable,
  kIdempotencyKeyReused,
  // HTTP only (contract.md):
  kIdempotencyInProgress,
  kUnauthorized,
  kForbidden,
  kPayloadTooLarge,
  kRateLimited,
  kUnavailable,
};

// The contract's spelling, e.g. "exceeds_creditable".
std::string_view ErrorCodeName(ErrorCode code);

struct Rejection {
  ErrorCode code;
  std::string field;    // empty when no single field is at fault (D-45)
  std::string message;  // human-readable; never contains secrets
  // The one field at fault is named "" (an unknown key "", D-1 step 5): `field`
  // is printed although empty.
  bool empty_field_name = false;
};

inline Rejection Reject(ErrorCode code, std::string field, std::string message) {
  return Rejection{code, std::move(field), std::move(message)};
}

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_REJECTION_H_
