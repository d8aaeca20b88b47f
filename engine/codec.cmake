# accrue_codec sources and tests (json, command decoder).
target_sources(accrue_codec PRIVATE
  json.cpp
  json_canonical.cpp
  json_writer.cpp
  command.cpp
  command_decoders.cpp
  command_fields.cpp
  command_meters.cpp
)

accrue_test(json_test SOURCES json_test.cpp LIBS accrue_codec LABELS unit)
accrue_test(command_test SOURCES command_test.cpp LIBS accrue_codec LABELS unit)
