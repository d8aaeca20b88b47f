// `accrue inspect account ID` / `accrue inspect plan ID` (contract.md,
// docs/cli.md): the state folded from the log, as one line of JSON.
// The log is opened read-only (a secondary instance while a writer holds it).
// An unknown id prints {"error":{"code":"not_found",...}} and exits 1.
#include <cstdio>

#include "app/cli.h"
#include "engine/json.h"
#include "engine/service.h"
#include "events/rocks_event_store.h"

namespace accrue::app {
namespace {

int NotFound(const std::string& what, const std::string& id) {
  engine::JsonWriter w;
  w.BeginObject();
  w.Key("error");
  w.BeginObject();
  w.Key("code");
  w.String("not_found");
  w.Key("message");
  w.String(what + " \"" + engine::Utf8Lossy(id) + "\" not found");  // an argument need not be UTF-8
  w.EndObject();
  w.EndObject();
  std::printf("%s\n", w.str().c_str());
  return kExitFound;
}

}  // namespace

int RunInspect(const GlobalOptions& g, const std::vector<std::string>& args) {
  FlagParser flags;
  bool json = false;  // output is always JSON; accepted for symmetry with other tools
  flags.Bool("--json", &json);
  std::vector<std::string> positional;
  std::string error;
  if (!flags.Parse(args, &positional, &error)) return UsageError(error);
  if (positional.size() != 2 || (positional[0] != "account" && positional[0] != "plan")) {
    return UsageError("usage: inspect account|plan ID");
  }
  const std::string& kind = positional[0];
  const std::string& id = positional[1];
  events::RocksStoreOptions options;
  options.mode = events::OpenMode::kAutoReadOnly;
  auto store = events::OpenRocksEventStore(g.data_dir, options);
  if (!store.ok()) {
    if (store.status().code() == StatusCode::kNotFound) {  // no log: nothing exists (contract: not_found)
      std::fprintf(stderr, "accrue: note: there is no event log in %s\n", g.data_dir.c_str());
      return NotFound(kind, id);
    }
    std::fprintf(stderr, "accrue: cannot open the log at %s: %s\n", g.data_dir.c_str(),
                 store.status().ToString().c_str());
    return kExitUsage;
  }
  engine::CommandService service(store.value().get(), engine::ServiceOptions{});
  Status read_error;
  auto out = kind == "account" ? service.AccountJson(g.tenant, id, &read_error)
                               : service.PlanJson(g.tenant, id, &read_error);
  if (!read_error.ok()) {  // a damaged log is not "not found"
    std::fprintf(stderr, "accrue: cannot read %s \"%s\" from the log at %s: %s\n", kind.c_str(),
                 engine::Utf8Lossy(id).c_str(), g.data_dir.c_str(), read_error.ToString().c_str());
    return kExitUsage;
  }
  if (!out) return NotFound(kind, id);
  std::printf("%s\n", out->c_str());
  return kExitOk;
}

}  // namespace accrue::app
