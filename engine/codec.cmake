# accrue_codec sources and tests (json, command decoder).
target_sources(accrue_codec PRIVATE
  json.cpp
  json_canonical.cpp
  json_writer.cpp
)

accrue_test(json_test SOURCES json_test.cpp LIBS accrue_codec LABELS unit)
