// `accrue tokens add|list|revoke --tokens FILE ...` (contract.md CLI; docs/api.md
// "Tokens file"). `add` prints the new token once, as the last word of stdout; the
// file keeps only its SHA-256. Revocation rewrites the file; a running `serve`
// notices within kTokensReloadInterval.
#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <vector>

#include "app/cli.h"
#include "app/tokens.h"

namespace accrue::app {
namespace {

int Fail(const Status& s) {
  std::fprintf(stderr, "accrue: %s\n", s.message().c_str());
  return kExitUsage;
}

// The current entries; a missing file is an empty set when `may_be_missing`.
Result<std::vector<TokenEntry>> Load(const std::string& path, bool may_be_missing) {
  struct stat st;
  if (may_be_missing && ::stat(path.c_str(), &st) != 0) return std::vector<TokenEntry>{};
  return ReadTokensFile(path);
}

int Add(const GlobalOptions& g, const std::string& path, const std::string& scopes_text) {
  uint8_t scopes = 0;
  if (!ParseScopes(scopes_text, &scopes)) return UsageError("--scopes must be a comma list of read and write");
  // The token is shown once, on stdout: with stdout closed nobody could see it.
  if (StandardOutputWasClosed()) return UsageError("stdout is closed: the new token could not be shown");
  auto lock = TokensFileLock::Acquire(path);  // until the new file is in place
  if (!lock.ok()) return Fail(lock.status());
  auto entries = Load(path, /*may_be_missing=*/true);
  if (!entries.ok()) return Fail(entries.status());
  auto token = NewToken();
  auto id = NewTokenId();
  if (!token.ok()) return Fail(token.status());
  if (!id.ok()) return Fail(id.status());
  // The token is shown before it is stored: a token nobody could read (stdout on a
  // full disk, a closed pipe) is never stored, and one that could not be stored
  // is said to be useless.
  std::printf("token %s for tenant %s (scopes %s); it is shown only now:\n%s\n", id.value().c_str(),
              g.tenant.c_str(), FormatScopes(scopes).c_str(), token.value().c_str());
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fprintf(stderr, "accrue: tokens add: cannot write the token to stdout; nothing was stored\n");
    return kExitUsage;
  }
  entries.value().push_back(TokenEntry{id.value(), g.tenant, scopes, Sha256(token.value())});
  if (Status s = WriteTokensFile(path, entries.value()); !s.ok()) {
    std::fprintf(stderr, "accrue: tokens add: the token printed above was NOT stored and will not work: %s\n",
                 s.message().c_str());
    return kExitUsage;
  }
  return kExitOk;
}

int List(const std::string& path) {
  auto entries = Load(path, /*may_be_missing=*/false);
  if (!entries.ok()) return Fail(entries.status());
  for (const auto& e : entries.value()) {
    std::printf("%s %s %s\n", e.id.c_str(), e.tenant.c_str(), FormatScopes(e.scopes).c_str());
  }
  return kExitOk;
}

int Revoke(const std::string& path, const std::string& id) {
  if (Status s = CheckTokensFileMode(path); !s.ok()) return Fail(s);  // no FILE.lock beside nothing
  auto lock = TokensFileLock::Acquire(path);  // until the new file is in place
  if (!lock.ok()) return Fail(lock.status());
  auto entries = Load(path, /*may_be_missing=*/false);
  if (!entries.ok()) return Fail(entries.status());
  std::vector<TokenEntry> kept;
  for (auto& e : entries.value()) {
    if (e.id != id) kept.push_back(std::move(e));
  }
  if (kept.size() == entries.value().size()) {
    std::fprintf(stderr, "accrue: no token with id %s\n", id.c_str());
    return kExitUsage;
  }
  if (Status s = WriteTokensFile(path, kept); !s.ok()) return Fail(s);
  std::printf("revoked %s\n", id.c_str());
  return kExitOk;
}

}  // namespace

int RunTokens(const GlobalOptions& g, const std::vector<std::string>& args) {
  std::string path, scopes;
  FlagParser flags;
  flags.Value("--tokens", &path);
  flags.Value("--scopes", &scopes);
  std::vector<std::string> positional;
  std::string error;
  if (!flags.Parse(args, &positional, &error)) return UsageError(error);
  if (positional.empty()) return UsageError("tokens needs add, list or revoke");
  if (path.empty()) return UsageError("tokens needs --tokens FILE");
  const std::string& verb = positional[0];
  if (verb == "add") {
    if (positional.size() != 1) return UsageError("tokens add takes no arguments");
    if (scopes.empty()) return UsageError("tokens add needs --scopes write,read");
    return Add(g, path, scopes);
  }
  if (!scopes.empty()) return UsageError("--scopes is only for tokens add");
  if (verb == "list") {
    if (positional.size() != 1) return UsageError("tokens list takes no arguments");
    return List(path);
  }
  if (verb == "revoke") {
    if (positional.size() != 2) return UsageError("tokens revoke needs one token ID");
    return Revoke(path, positional[1]);
  }
  return UsageError("unknown tokens command '" + verb + "'");
}

}  // namespace accrue::app
