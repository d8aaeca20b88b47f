#include "events/keys.h"

#include "events/append_planner.h"  // kMaxEventsPerAppend

namespace accrue::events::keys {

void PutFixed64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

void PutFixed32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

bool GetFixed64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) r = (r << 8) | static_cast<unsigned char>((*in)[i]);
  in->remove_prefix(8);
  *v = r;
  return true;
}

bool GetFixed32(std::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  uint32_t r = 0;
  for (int i = 0; i < 4; ++i) r = (r << 8) | static_cast<unsigned char>((*in)[i]);
  in->remove_prefix(4);
  *v = r;
  return true;
}

std::string PositionKey(uint64_t position) {
  std::string k;
  k.reserve(8);
  PutFixed64(&k, position);
  return k;
}

std::string StreamIndexKey(std::string_view stream, uint64_t version) {
  std::string k;
  k.reserve(stream.size() + 9);
  k.append(stream);
  k.push_back('\0');
  PutFixed64(&k, version);
  return k;
}

bool ParseStreamIndexKey(std::string_view key, std::string* stream, uint64_t* version) {
  if (key.size() < 10 || key[key.size() - 9] != '\0') return false;
  stream->assign(key.substr(0, key.size() - 9));
  std::string_view rest = key.substr(key.size() - 8);
  return GetFixed64(&rest, version);
}

std::string EncodeIndexRun(uint64_t position, uint64_t count) {
  std::string v;
  v.reserve(16);
  PutFixed64(&v, position);
  if (count != 1) PutFixed64(&v, count);
  return v;
}

bool DecodeIndexRun(std::string_view value, uint64_t* position, uint64_t* count) {
  if (value.size() != 8 && value.size() != 16) return false;
  if (!GetFixed64(&value, position) || *position == 0) return false;
  *count = 1;
  if (value.empty()) return true;
  return GetFixed64(&value, count) && *count >= 2 && *count <= kMaxEventsPerAppend;
}

std::string EncodeClaimValue(const Claim& claim) {
  if (claim.value.empty()) return claim.stream;
  std::string out;
  out.reserve(claim.stream.size() + 1 + claim.value.size());
  out.append(claim.stream);
  out.push_back('\0');
  out.append(claim.value);
  return out;
}

bool DecodeClaimValue(std::string_view stored, Claim* claim) {
  const std::size_t split = stored.find('\0');
  if (split == 0 || stored.empty()) return false;
  if (split == std::string_view::npos) {
    claim->stream.assign(stored);
    claim->value.clear();
    return true;
  }
  if (split + 1 == stored.size()) return false;  // an empty value is stored as none
  claim->stream.assign(stored.substr(0, split));
  claim->value.assign(stored.substr(split + 1));
  return true;
}

std::string EncodeIdempotency(const IdempotencyLookup& record) {
  std::string v;
  v.reserve(4 + record.command_hash.size() + 8 + record.result.size());
  PutFixed32(&v, static_cast<uint32_t>(record.command_hash.size()));
  v.append(record.command_hash);
  PutFixed64(&v, record.last_position);
  v.append(record.result);
  return v;
}

std::optional<IdempotencyLookup> DecodeIdempotency(std::string_view value) {
  uint32_t hash_len = 0;
  if (!GetFixed32(&value, &hash_len) || value.size() < hash_len) return std::nullopt;
  IdempotencyLookup r;
  r.command_hash.assign(value.substr(0, hash_len));
  value.remove_prefix(hash_len);
  if (!GetFixed64(&value, &r.last_position)) return std::nullopt;
  r.result.assign(value);
  return r;
}

std::string EncodeSnapshot(const Snapshot& snapshot) {
  std::string v;
  v.reserve(8 + snapshot.bytes.size());
  PutFixed64(&v, snapshot.version);
  v.append(snapshot.bytes);
  return v;
}

std::optional<Snapshot> DecodeSnapshot(std::string_view value) {
  Snapshot s;
  if (!GetFixed64(&value, &s.version)) return std::nullopt;
  s.bytes.assign(value);
  return s;
}

}  // namespace accrue::events::keys
