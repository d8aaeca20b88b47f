// Result JSON of a command (contract.md "Results", D-4, D-8, D-45).
//
// Stored results (idempotency records) are the result WITHOUT "position": the
// store returns the last position with the record, and RenderStored inserts
// "position" before "events" when the events list is non-empty. A stored result
// that already has a position (a tenant-wide bill run's, whose position comes
// from its per-account appends) is returned as is.
// Thread-safety: pure functions.
#ifndef ACCRUE_ENGINE_RESULT_JSON_H_
#define ACCRUE_ENGINE_RESULT_JSON_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/rejection.h"

namespace accrue::engine {

struct SkippedAccount {
  std::string account_id;
  ErrorCode code;
};

struct AcceptedResult {
  std::vector<std::string> events;    // event type names
  bool run = false;                   // run_billing: add invoices and skipped
  std::vector<std::string> invoices;
  std::vector<SkippedAccount> skipped;
  bool replayed = false;              // D-18 / D-47
  std::optional<uint64_t> position;   // only for results built after the append
};

// key: the idempotency key, or nullopt for null (D-4).
std::string AcceptedJson(const std::optional<std::string>& key, const AcceptedResult& r);
std::string RejectedJson(const std::optional<std::string>& key, const Rejection& r);
std::string FailedJson(const std::optional<std::string>& key, const std::string& message);

// Inserts "position":N before "events" when the stored result has a non-empty
// events list and no position yet.
std::string RenderStored(const std::string& stored, uint64_t last_position);

// D-8: the result plus "replayed":true (once).
std::string AddReplayed(const std::string& result);

}  // namespace accrue::engine

#endif  // ACCRUE_ENGINE_RESULT_JSON_H_
