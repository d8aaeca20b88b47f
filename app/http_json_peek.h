// PeekCommand: reads the top-level "command" and "idempotency_key" strings of a
// command body without decoding it, for the server's bookkeeping only (in-flight
// keys of batch lines, the command label of metrics). The command service does the
// real, strict decoding (D-1); a body the peek cannot read is still submitted and
// gets its contract error from the service.
//
// The parser is RapidJSON's iterative (non-recursive) SAX reader, so deeply nested
// input costs heap proportional to the body (bounded by kMaxBodyBytes), never stack.
//
// Thread-safety: a pure function.
#ifndef ACCRUE_APP_HTTP_JSON_PEEK_H_
#define ACCRUE_APP_HTTP_JSON_PEEK_H_

#include <optional>
#include <string>
#include <string_view>

namespace accrue::app {

struct PeekedCommand {
  std::optional<std::string> command;          // as written, when a string
  std::optional<std::string> idempotency_key;  // as written, when a string
};

PeekedCommand PeekCommand(std::string_view body);

// The metrics label of a command name: the name when it is one of contract.md's
// commands, else "unknown" (labels stay a small, fixed set).
std::string_view CommandLabel(const std::optional<std::string>& command);

}  // namespace accrue::app

#endif  // ACCRUE_APP_HTTP_JSON_PEEK_H_
