// The HTTP status of each contract error code and the error bodies the server
// writes itself (contract.md "HTTP API"; docs/api.md "Status codes").
//
// The body of an error is the result object: for the command endpoints
// `{"idempotency_key":K,"status":S,"error":{"code":C,"message":M[,"field":F]}}`
// (K null when the key is absent or not UTF-8, S "failed" for passing refusals where retrying
// helps, else "rejected"); for other endpoints `{"error":{...}}`.
//
// Thread-safety: pure functions.
#ifndef ACCRUE_APP_HTTP_ERRORS_H_
#define ACCRUE_APP_HTTP_ERRORS_H_

#include <optional>
#include <string>
#include <string_view>

#include "engine/rejection.h"

namespace accrue::app {

// Exactly contract.md's table: 400, 401, 403, 404, 409, 413, 422, 429, 503.
int HttpStatusFor(engine::ErrorCode code);
// True for the codes whose response carries Retry-After (in progress, rate
// limited, unavailable): waiting and sending the same request again can succeed.
bool RetryHelps(engine::ErrorCode code);

std::string CommandErrorBody(const std::optional<std::string>& idempotency_key, engine::ErrorCode code,
                             std::string_view message, std::string_view field = {});
std::string PlainErrorBody(engine::ErrorCode code, std::string_view message, std::string_view field = {});

}  // namespace accrue::app

#endif  // ACCRUE_APP_HTTP_ERRORS_H_
