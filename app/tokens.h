// API tokens: the tokens file and the server's authenticator (docs/api.md "Tokens").
//
// The tokens file is text, one token a line, `#` comments and blank lines ignored:
//   ID TENANT SCOPES SHA256HEX
//   tok_3f9a2c1b acme write,read 5e88...42d8   (64 lowercase hex digits)
// It holds only the SHA-256 of each token, never the token. ID matches
// `tok_[0-9a-f]{8,32}`; TENANT follows the id syntax (D-9); SCOPES is a comma list of
// `read` and `write`. The file is written whole (temporary file 0600, fsync,
// rename), so a reader sees the old or the new version, never half of one.
//
// A token is `acr_` followed by 64 hex digits (32 bytes from OpenSSL RAND_bytes).
//
// TokenAuthenticator holds the parsed file and re-reads it when it changes (inode,
// size or mtime), checking at most once per reload interval, so revocation takes
// effect without a restart within that interval. A presented token is hashed and
// compared with every entry with CRYPTO_memcmp (constant time, no early exit).
// Invariant: tokens are never logged or stored; only their hashes are.
//
// Thread-safety: the free functions are reentrant; TokenAuthenticator's methods may
// be called from any thread.
#ifndef ACCRUE_APP_TOKENS_H_
#define ACCRUE_APP_TOKENS_H_

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/status.h"

namespace accrue::app {

inline constexpr uint8_t kScopeRead = 1;
inline constexpr uint8_t kScopeWrite = 2;
// How often the server checks the tokens file for changes (revocation latency bound).
inline constexpr std::chrono::milliseconds kTokensReloadInterval{1000};
inline constexpr std::size_t kMaxTokensFileBytes = 4 << 20;

struct TokenEntry {
  std::string id;
  std::string tenant;
  uint8_t scopes = 0;
  std::string sha256;  // 32 raw bytes
};

// "read", "write", "read,write", "write,read"; false on anything else or empty.
bool ParseScopes(std::string_view text, uint8_t* scopes);
std::string FormatScopes(uint8_t scopes);
// D-9 id syntax: [A-Za-z0-9][A-Za-z0-9_.:-]{0,63}.
bool ValidTenantName(std::string_view tenant);

// Raw 32-byte SHA-256.
std::string Sha256(std::string_view data);
// A new random token (`acr_` + 64 hex) and a new random id (`tok_` + 16 hex).
Result<std::string> NewToken();
Result<std::string> NewTokenId();

Result<std::vector<TokenEntry>> ParseTokensFile(std::string_view text);
std::string FormatTokensFile(const std::vector<TokenEntry>& entries);

// Fails (kFailedPrecondition) when the file is missing, not a regular file, or
// readable or writable by group or others.
Status CheckTokensFileMode(const std::string& path);
// Reads and parses; checks the mode first.
Result<std::vector<TokenEntry>> ReadTokensFile(const std::string& path);
// Writes the whole file atomically with mode 0600 (a temporary file beside it,
// fsync, rename). Writers of the same file must hold its TokensFileLock.
Status WriteTokensFile(const std::string& path, const std::vector<TokenEntry>& entries);

// An exclusive lock for a read-modify-write of the tokens file at `path`, held
// on PATH.lock (created 0600; the tokens file itself is replaced by rename, so it
// cannot carry the lock). `tokens add` and `tokens revoke` take it, so two of them
// at once cannot lose each other's change (a revoked token coming back). Released
// when destroyed; blocks while another process holds it.
class TokensFileLock {
 public:
  static Result<std::unique_ptr<TokensFileLock>> Acquire(const std::string& path);
  ~TokensFileLock();
  TokensFileLock(const TokensFileLock&) = delete;
  TokensFileLock& operator=(const TokensFileLock&) = delete;

 private:
  explicit TokensFileLock(int fd) : fd_(fd) {}
  int fd_;
};

struct Identity {
  std::string token_id;
  std::string tenant;
  uint8_t scopes = 0;
};

class TokenAuthenticator {
 public:
  // Reads the file once; fails as ReadTokensFile does.
  static Result<std::unique_ptr<TokenAuthenticator>> Open(const std::string& path,
                                                          std::chrono::milliseconds reload_interval);

  // The identity of `token`, or nullopt. Re-reads the file first when the reload
  // interval has passed and the file changed (inode, size, mtime or ctime, so a
  // chmod counts). A file that became unreadable or malformed keeps the last good
  // set and is tried again at every interval (a passing failure, EMFILE say, must
  // not leave a revoked token working); each failing version is counted and
  // logged (`tokens_reload_failed`) once, not once per try.
  std::optional<Identity> Authenticate(std::string_view token);

  uint64_t reloads() const;
  uint64_t reload_errors() const;

 private:
  struct FileId {
    uint64_t inode = 0, size = 0;
    int64_t mtime_ns = 0;
    int64_t ctime_ns = 0;
    bool operator==(const FileId&) const = default;
  };
  TokenAuthenticator(std::string path, std::chrono::milliseconds interval) : path_(std::move(path)), interval_(interval) {}
  static FileId FileIdOf(const struct stat& st);
  void MaybeReloadLocked();

  const std::string path_;
  const std::chrono::milliseconds interval_;
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<TokenEntry>> entries_;
  FileId file_id_;
  std::optional<FileId> failed_id_;  // the file version whose reload failed last (missing: all zero)
  std::chrono::steady_clock::time_point last_check_;
  uint64_t reloads_ = 0;
  uint64_t reload_errors_ = 0;
};

}  // namespace accrue::app

#endif  // ACCRUE_APP_TOKENS_H_
