#include "app/http_router.h"

namespace accrue::app {
namespace {

constexpr std::size_t kMaxIdLength = 64;
constexpr std::size_t kMaxInvoiceIdLength = 85;  // D-9

Route Make(RouteId id, std::string_view method, std::string_view expected, std::string label,
           std::string param = {}) {
  Route r;
  r.id = id;
  r.method_allowed = method == expected;
  r.allow = std::string(expected);
  r.param = std::move(param);
  r.label = std::move(label);
  return r;
}

}  // namespace

bool ValidId(std::string_view id, std::size_t max_length) {
  if (id.empty() || id.size() > max_length) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (!alnum(id[0])) return false;
  for (char c : id.substr(1)) {
    if (!alnum(c) && c != '_' && c != '.' && c != ':' && c != '-') return false;
  }
  return true;
}

Route MatchRoute(std::string_view method, std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/v1/commands") return Make(RouteId::kCommand, method, "POST", "POST /v1/commands");
  if (path == "/v1/commands:batch") return Make(RouteId::kBatch, method, "POST", "POST /v1/commands:batch");
  if (path == "/healthz") return Make(RouteId::kHealthz, method, "GET", "GET /healthz");
  if (path == "/readyz") return Make(RouteId::kReadyz, method, "GET", "GET /readyz");
  if (path == "/metrics") return Make(RouteId::kMetrics, method, "GET", "GET /metrics");
  constexpr std::string_view kAccounts = "/v1/accounts/";
  constexpr std::string_view kInvoices = "/v1/invoices/";
  constexpr std::string_view kInvoicesSuffix = "/invoices";
  if (path.substr(0, kAccounts.size()) == kAccounts) {
    std::string_view rest = path.substr(kAccounts.size());
    if (rest.size() > kInvoicesSuffix.size() &&
        rest.substr(rest.size() - kInvoicesSuffix.size()) == kInvoicesSuffix) {
      std::string_view id = rest.substr(0, rest.size() - kInvoicesSuffix.size());
      if (ValidId(id, kMaxIdLength)) {
        return Make(RouteId::kAccountInvoices, method, "GET", "GET /v1/accounts/{id}/invoices", std::string(id));
      }
    }
    if (ValidId(rest, kMaxIdLength)) {
      return Make(RouteId::kAccount, method, "GET", "GET /v1/accounts/{id}", std::string(rest));
    }
  }
  if (path.substr(0, kInvoices.size()) == kInvoices) {
    std::string_view id = path.substr(kInvoices.size());
    if (ValidId(id, kMaxInvoiceIdLength)) {
      return Make(RouteId::kInvoice, method, "GET", "GET /v1/invoices/{id}", std::string(id));
    }
  }
  Route none;
  none.label = "unmatched";
  return none;
}

}  // namespace accrue::app
