#include "app/http_router.h"

#include <optional>
#include <string>

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
  // A path taken with another method is counted as "unmatched" in the metrics,
  // not under the route's label, which counts only requests the route served.
  r.label = r.method_allowed ? std::move(label) : std::string("unmatched");
  return r;
}

// A path segment with its %XX escapes decoded (RFC 3986 2.1: `acct%2D1` and
// `x%3Ay` name `acct-1` and `x:y`, as clients that encode every reserved
// character send them), or nullopt for a malformed escape.
std::optional<std::string> PercentDecoded(std::string_view segment) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(segment.size());
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out += segment[i];
      continue;
    }
    if (i + 2 >= segment.size()) return std::nullopt;  // truncated escape
    const int high = hex(segment[i + 1]), low = hex(segment[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

// The id a path segment names, when it follows the id syntax once decoded.
std::optional<std::string> IdOf(std::string_view segment, std::size_t max_length) {
  auto id = PercentDecoded(segment);
  if (!id || !ValidId(*id, max_length)) return std::nullopt;
  return id;
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

std::string OriginForm(std::string_view target) {
  auto starts_with_nocase = [&](std::string_view prefix) {
    if (target.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
      const char c = target[i];
      const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      if (lower != prefix[i]) return false;
    }
    return true;
  };
  std::size_t scheme = 0;
  if (starts_with_nocase("http://")) {
    scheme = 7;
  } else if (starts_with_nocase("https://")) {
    scheme = 8;
  } else {
    return std::string(target);
  }
  const std::size_t path = target.find_first_of("/?", scheme);
  if (path == std::string_view::npos) return "/";
  std::string origin;
  if (target[path] == '?') origin.push_back('/');
  origin.append(target.substr(path));
  return origin;
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
      if (auto id = IdOf(rest.substr(0, rest.size() - kInvoicesSuffix.size()), kMaxIdLength)) {
        return Make(RouteId::kAccountInvoices, method, "GET", "GET /v1/accounts/{id}/invoices", std::move(*id));
      }
    }
    if (auto id = IdOf(rest, kMaxIdLength)) {
      return Make(RouteId::kAccount, method, "GET", "GET /v1/accounts/{id}", std::move(*id));
    }
  }
  if (path.substr(0, kInvoices.size()) == kInvoices) {
    if (auto id = IdOf(path.substr(kInvoices.size()), kMaxInvoiceIdLength)) {
      return Make(RouteId::kInvoice, method, "GET", "GET /v1/invoices/{id}", std::move(*id));
    }
  }
  Route none;
  none.label = "unmatched";
  return none;
}

}  // namespace accrue::app
