// Protobuf wire-format readers shared by the hand-written decoders (the envelope
// decoder, envelope_codec.cpp, and `log verify`'s payload walk,
// app/log_payload_check.cpp). Wire format:
// https://protobuf.dev/programming-guides/encoding/
//
// Thread-safety: pure functions.
#ifndef ACCRUE_EVENTS_WIRE_FORMAT_H_
#define ACCRUE_EVENTS_WIRE_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace accrue::events::wire {

// Reads a varint at *pos as protobuf's parser accepts it; false if truncated or
// longer than 10 bytes, or if a 10th byte carries more than the top bit of a
// uint64. *pos advances past what was read.
inline bool ReadVarint(std::string_view in, std::size_t* pos, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && *pos < in.size(); shift += 7) {
    const auto byte = static_cast<uint8_t>(in[(*pos)++]);
    if (shift == 63 && byte > 1) return false;
    result |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

// True when every byte is ASCII (valid UTF-8 without a further check).
inline bool AllAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<uint8_t>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace accrue::events::wire

#endif  // ACCRUE_EVENTS_WIRE_FORMAT_H_
