// The HTTP API's routes (contract.md "HTTP API"): which endpoint a method and a
// target name. Query strings are ignored. Path parameters are ids and must match
// the id syntax (D-9; invoice ids up to 85 characters), else the route is not
// found: no id that fails the syntax can exist, and nothing odd (percent escapes,
// dots, slashes) reaches the engine.
//
// Thread-safety: a pure function.
#ifndef ACCRUE_APP_HTTP_ROUTER_H_
#define ACCRUE_APP_HTTP_ROUTER_H_

#include <string>
#include <string_view>

namespace accrue::app {

enum class RouteId {
  kNotFound,
  kCommand,          // POST /v1/commands
  kBatch,            // POST /v1/commands:batch
  kAccount,          // GET /v1/accounts/{id}
  kAccountInvoices,  // GET /v1/accounts/{id}/invoices
  kInvoice,          // GET /v1/invoices/{id}
  kHealthz,          // GET /healthz
  kReadyz,           // GET /readyz
  kMetrics,          // GET /metrics
};

struct Route {
  RouteId id = RouteId::kNotFound;
  bool method_allowed = false;  // false: the path exists with another method (404 with Allow)
  std::string allow;            // the path's method, for the Allow header
  std::string param;            // the {id}
  std::string label;            // "POST /v1/commands", "GET /v1/accounts/{id}", ... or "unmatched"
                                // (no route, or the path with another method)
};

Route MatchRoute(std::string_view method, std::string_view target);

// The origin form of a request target (RFC 9112 3.2.1): an absolute-form target
// ("http://host:port/path?q", which servers must accept, RFC 9112 3.2.2) loses its
// scheme and authority ("/path?q"; "/" and "/?q" when it has no path); any other target is
// returned as it is.
std::string OriginForm(std::string_view target);

// D-9 id syntax with a maximum length (64 for most ids, 85 for invoice ids).
bool ValidId(std::string_view id, std::size_t max_length);

}  // namespace accrue::app

#endif  // ACCRUE_APP_HTTP_ROUTER_H_
