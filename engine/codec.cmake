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

# RapidJSON 1.1's internal::Stack adds an offset to its still-null buffer before the
# first allocation (UBSan pointer-overflow; harmless, fixed upstream after 1.1). Only
# json.cpp includes RapidJSON, so sanitizer builds exempt that one check there.
if(ACCRUE_SANITIZE OR ACCRUE_FUZZ)
  set_source_files_properties(json.cpp PROPERTIES COMPILE_OPTIONS -fno-sanitize=pointer-overflow)
endif()
