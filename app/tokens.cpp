#include "app/tokens.h"

#include <fcntl.h>
#include <sys/file.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "app/logging.h"

namespace accrue::app {
namespace {

constexpr std::string_view kHeader =
    "# accrue tokens v1 (docs/api.md \"Tokens file\"): ID TENANT SCOPES SHA256HEX\n";

std::string Hex(const unsigned char* data, std::size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 15];
  }
  return out;
}

bool Unhex(std::string_view hex, std::string* out) {
  if (hex.size() != 64) return false;
  out->assign(32, '\0');
  for (std::size_t i = 0; i < 64; ++i) {
    char c = hex[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0) return false;
    (*out)[i / 2] = static_cast<char>((*out)[i / 2] | (i % 2 ? v : v << 4));
  }
  return true;
}

bool ValidTokenId(std::string_view id) {
  if (id.size() < 12 || id.size() > 36 || id.substr(0, 4) != "tok_") return false;
  for (char c : id.substr(4)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::string> RandomHex(std::size_t bytes) {
  unsigned char buf[64];
  if (bytes > sizeof buf || RAND_bytes(buf, static_cast<int>(bytes)) != 1) {
    return Status::Internal("RAND_bytes failed");
  }
  return Hex(buf, bytes);
}

}  // namespace

bool ParseScopes(std::string_view text, uint8_t* scopes) {
  *scopes = 0;
  while (!text.empty()) {
    std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    if (item == "read") {
      *scopes |= kScopeRead;
    } else if (item == "write") {
      *scopes |= kScopeWrite;
    } else {
      return false;
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
    if (text.empty()) return false;
  }
  return *scopes != 0;
}

std::string FormatScopes(uint8_t scopes) {
  std::string out;
  if (scopes & kScopeWrite) out = "write";
  if (scopes & kScopeRead) out += out.empty() ? "read" : ",read";
  return out;
}

bool ValidTenantName(std::string_view t) {
  if (t.empty() || t.size() > 64) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (!alnum(t[0])) return false;
  for (char c : t.substr(1)) {
    if (!alnum(c) && c != '_' && c != '.' && c != ':' && c != '-') return false;
  }
  return true;
}

std::string Sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(md), len);
}

Result<std::string> NewToken() {
  auto hex = RandomHex(32);
  if (!hex.ok()) return hex.status();
  return "acr_" + hex.value();
}

Result<std::string> NewTokenId() {
  auto hex = RandomHex(8);
  if (!hex.ok()) return hex.status();
  return "tok_" + hex.value();
}

Result<std::vector<TokenEntry>> ParseTokensFile(std::string_view text) {
  std::vector<TokenEntry> entries;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line[0] == '#') continue;
    std::istringstream in{std::string(line)};
    std::string id, tenant, scopes, hex, extra;
    in >> id >> tenant >> scopes >> hex;
    TokenEntry e;
    const std::string where = "tokens file line " + std::to_string(line_no) + ": ";
    if (hex.empty() || (in >> extra)) return Status::InvalidArgument(where + "expected ID TENANT SCOPES SHA256HEX");
    if (!ValidTokenId(id)) return Status::InvalidArgument(where + "bad token id");
    if (!ValidTenantName(tenant)) return Status::InvalidArgument(where + "bad tenant name");
    if (!ParseScopes(scopes, &e.scopes)) return Status::InvalidArgument(where + "bad scopes");
    if (!Unhex(hex, &e.sha256)) return Status::InvalidArgument(where + "bad SHA-256 hex");
    for (const auto& other : entries) {
      if (other.id == id) return Status::InvalidArgument(where + "duplicate token id");
    }
    e.id = id;
    e.tenant = tenant;
    entries.push_back(std::move(e));
  }
  return entries;
}

std::string FormatTokensFile(const std::vector<TokenEntry>& entries) {
  std::string out(kHeader);
  for (const auto& e : entries) {
    out += e.id + " " + e.tenant + " " + FormatScopes(e.scopes) + " " +
           Hex(reinterpret_cast<const unsigned char*>(e.sha256.data()), e.sha256.size()) + "\n";
  }
  return out;
}

Status CheckTokensFileMode(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return Status::FailedPrecondition("tokens file " + path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return Status::FailedPrecondition("tokens file " + path + " is not a regular file");
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    return Status::FailedPrecondition("tokens file " + path +
                                      " is accessible by group or others; run: chmod 600 " + path);
  }
  return Status::Ok();
}

Result<std::vector<TokenEntry>> ReadTokensFile(const std::string& path) {
  if (Status s = CheckTokensFileMode(path); !s.ok()) return s;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open tokens file " + path);
  std::string text(kMaxTokensFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxTokensFileBytes) return Status::InvalidArgument("tokens file is too large");
  return ParseTokensFile(text);
}

Result<std::unique_ptr<TokensFileLock>> TokensFileLock::Acquire(const std::string& path) {
  const std::string lock_path = path + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError("cannot open " + lock_path + ": " + std::strerror(errno));
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int err = errno;
    ::close(fd);
    return Status::IoError("cannot lock " + lock_path + ": " + std::strerror(err));
  }
  return std::unique_ptr<TokensFileLock>(new TokensFileLock(fd));
}

TokensFileLock::~TokensFileLock() { ::close(fd_); }  // closing releases the flock

Status WriteTokensFile(const std::string& path, const std::vector<TokenEntry>& entries) {
  const std::string tmp = path + ".tmp";
  const std::string text = FormatTokensFile(entries);
  ::unlink(tmp.c_str());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError("cannot create " + tmp + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return Status::IoError("cannot write " + tmp + ": " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IoError("cannot replace " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Result<std::unique_ptr<TokenAuthenticator>> TokenAuthenticator::Open(const std::string& path,
                                                                     std::chrono::milliseconds reload_interval) {
  std::unique_ptr<TokenAuthenticator> a(new TokenAuthenticator(path, reload_interval));
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    a->file_id_ = FileIdOf(st);
  }
  auto entries = ReadTokensFile(path);
  if (!entries.ok()) return entries.status();
  a->entries_ = std::make_shared<const std::vector<TokenEntry>>(std::move(entries).value());
  a->last_check_ = std::chrono::steady_clock::now();
  return a;
}

TokenAuthenticator::FileId TokenAuthenticator::FileIdOf(const struct stat& st) {
  return FileId{static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
                static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec};
}

void TokenAuthenticator::MaybeReloadLocked() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_check_ < interval_) return;
  last_check_ = now;
  // The last good set stays; each failing version of the file is counted and
  // logged once (the file holds hashes, never tokens, so the reason may be logged).
  auto failed = [&](const FileId& id, const std::string& why) {
    if (failed_id_ == id) return;
    failed_id_ = id;
    ++reload_errors_;
    LogEvent(LogLevel::kWarn, "tokens_reload_failed",
             {Str("path", path_), Str("error", why), Str("kept", "the last good set of tokens")});
  };
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    failed(FileId{}, std::string("cannot stat: ") + std::strerror(errno));
    return;
  }
  const FileId id = FileIdOf(st);
  if (id == file_id_) {
    failed_id_.reset();  // the good version is back: a later failure is news again
    return;
  }
  auto entries = ReadTokensFile(path_);  // again at every interval while it fails
  if (!entries.ok()) {
    failed(id, entries.status().ToString());
    return;
  }
  failed_id_.reset();
  file_id_ = id;
  entries_ = std::make_shared<const std::vector<TokenEntry>>(std::move(entries).value());
  ++reloads_;
}

std::optional<Identity> TokenAuthenticator::Authenticate(std::string_view token) {
  std::shared_ptr<const std::vector<TokenEntry>> entries;
  {
    std::lock_guard lock(mu_);
    MaybeReloadLocked();
    entries = entries_;
  }
  const std::string digest = Sha256(token);
  const TokenEntry* match = nullptr;
  for (const auto& e : *entries) {
    // Every entry is compared in full: the time taken does not depend on where
    // (or whether) the digest matches.
    const bool equal = CRYPTO_memcmp(e.sha256.data(), digest.data(), digest.size()) == 0;
    if (equal && match == nullptr) match = &e;
  }
  if (match == nullptr) return std::nullopt;
  return Identity{match->id, match->tenant, match->scopes};
}

uint64_t TokenAuthenticator::reloads() const {
  std::lock_guard lock(mu_);
  return reloads_;
}

uint64_t TokenAuthenticator::reload_errors() const {
  std::lock_guard lock(mu_);
  return reload_errors_;
}

}  // namespace accrue::app
