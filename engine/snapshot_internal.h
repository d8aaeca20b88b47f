// Helpers shared by the snapshot encoder and decoder (not a public interface).
// Thread-safety: pure functions.
#ifndef ACCRUE_ENGINE_SNAPSHOT_INTERNAL_H_
#define ACCRUE_ENGINE_SNAPSHOT_INTERNAL_H_

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <string>

#include "accrue/events/v1/snapshot.pb.h"

namespace accrue::engine::internal {

// Serializes with deterministic map ordering (snapshot.proto has no maps, but a
// future field must not make equal states encode differently).
inline std::string SerializeDeterministic(const google::protobuf::MessageLite& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

}  // namespace accrue::engine::internal

#endif  // ACCRUE_ENGINE_SNAPSHOT_INTERNAL_H_
