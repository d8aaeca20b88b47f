// The model and command generator of the domain property tests
// (tests/property_domain_test.cpp).
//
// A sequence is a vector of Op values. Each Op names WHAT to try (a command kind)
// with small integers; Render() turns it into a command line against the model's
// current knowledge (existing accounts, subscriptions, payments, earlier lines), so
// shrinking a failing sequence still produces meaningful commands. Most commands
// are valid, many are invalid on purpose (bad fields, unknown ids, wrong state,
// late or out-of-order instants, reused keys and ids).
//
// Time: the model keeps a business "now" that each Op moves forward by a few
// days; an Op may date its command back (late usage, late runs, back-dated
// changes) to exercise R-S5/R-S7/D-21/D-25.
#ifndef ACCRUE_TESTS_PROPERTY_DOMAIN_MODEL_H_
#define ACCRUE_TESTS_PROPERTY_DOMAIN_MODEL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "engine/service.h"

namespace accrue::tests {

enum class OpKind {
  kOpenAccount,
  kSubscribe,
  kChange,
  kCancel,
  kUsage,
  kRunBilling,
  kPayment,
  kCreditNote,
  kRefund,
  kReverse,
  kVoid,
  kUncollectible,
  kClose,
  kReplayKey,     // an earlier line again, same key: the stored result (D-8)
  kReuseKey,      // an earlier key with another command: idempotency_key_reused
  kReuseUsageId,  // an earlier usage_id under a new key: replay or already_exists (D-47)
  kMalformed,     // a decoder-level fault (D-1 steps 1-8)
  kKindCount
};

struct Op {
  OpKind kind = OpKind::kOpenAccount;
  int a = 0, b = 0, c = 0, d = 0;  // meaning depends on kind (indices are taken modulo)
  int advance_hours = 0;           // moves the model's now forward first
  int back_days = 0;               // dates the command this much before now
};

std::ostream& operator<<(std::ostream& os, const Op& op);  // for RapidCheck's counterexamples

// One line sent and its outcome.
struct Sent {
  std::string line;
  std::string key;
  engine::CommandOutcome outcome;
};

class DomainModel {
 public:
  // Lines that publish the fixed plan catalogue (sent before any Op).
  static std::vector<std::string> CatalogLines();

  // The line for `op` (advances now); nullopt when the Op has nothing to act on
  // (e.g. a replay before anything was sent).
  std::optional<std::string> Render(const Op& op);

  // Records the outcome of the line last rendered for `op`.
  void Record(const Op& op, const std::string& line, const engine::CommandOutcome& outcome);

  // A fresh idempotency key (never used before in this sequence).
  std::string FreshKey() { return "k" + std::to_string(++keys_); }

  const std::vector<std::string>& account_ids() const { return accounts_; }
  const std::vector<Sent>& sent() const { return sent_; }

 private:
  std::string Instant(int back_days) const;
  std::string PickAccount(int i) const;
  std::string PickSubscription(int i) const;
  std::string PickPayment(int i) const;
  std::string PickInvoice(int i, int number) const;
  std::string Amount(int i) const;

  int64_t now_hours_ = 0;  // since 2024-01-01T00:00:00Z
  uint64_t keys_ = 0;
  uint64_t ids_ = 0;
  std::vector<std::string> accounts_;       // opened (accepted)
  std::vector<std::string> subscriptions_;  // created (accepted)
  std::vector<std::string> payments_;       // recorded (accepted)
  std::vector<std::string> usage_lines_;    // accepted record_usage lines
  std::vector<Sent> sent_;                  // every remembered line, in order
  std::string pending_id_;                  // id created by the line being rendered
  std::map<std::string, std::string> currency_of_;  // account id (and id + "?" while opening) -> currency
};

}  // namespace accrue::tests

#endif  // ACCRUE_TESTS_PROPERTY_DOMAIN_MODEL_H_
