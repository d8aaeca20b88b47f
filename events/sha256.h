// SHA-256 through OpenSSL's EVP interface: the digest of the hash chain
// (docs/event-log-format.md) and of idempotency command hashes.
//
// Thread-safety: stateless functions; safe from any thread.
#ifndef ACCRUE_EVENTS_SHA256_H_
#define ACCRUE_EVENTS_SHA256_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace accrue::events {

inline constexpr std::size_t kSha256Bytes = 32;

// SHA-256 of `first` followed by `second` (32 raw bytes). Aborts (ACCRUE_ASSERT)
// only if OpenSSL cannot compute a digest at all, which is an environment bug.
std::string Sha256(std::string_view first, std::string_view second = {});

// The same digest written to out[0..32) (no allocation: verify's hot path).
void Sha256Into(std::string_view first, std::string_view second, unsigned char* out);

// Lower-case hex of raw bytes, for printing hashes.
std::string ToHex(std::string_view bytes);

}  // namespace accrue::events

#endif  // ACCRUE_EVENTS_SHA256_H_
