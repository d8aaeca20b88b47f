# Every dependency is found here, once (../shared/toolchain-notes.md).
find_package(PkgConfig REQUIRED)
find_package(RocksDB CONFIG REQUIRED)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
# libpq itself (libpq-dev, a dependency of libpqxx-dev): PQconninfoParse checks a
# URL's syntax before connecting (projections/pg_client.cpp).
pkg_check_modules(PQ REQUIRED IMPORTED_TARGET libpq)
# The accrue executable's allocator (docs/decisions/0007-memory-allocator.md).
pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
find_package(Protobuf REQUIRED)
find_package(Boost REQUIRED)
find_package(date CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(GTest CONFIG REQUIRED)
find_package(rapidcheck CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Threads REQUIRED)
find_package(benchmark CONFIG REQUIRED)
find_path(RAPIDJSON_INCLUDE_DIR rapidjson/reader.h REQUIRED)
add_library(accrue_rapidjson INTERFACE)
target_include_directories(accrue_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIR})
# Strings and whitespace scanned 16 bytes at a time (SSE2 is part of x86-64); on the
# target, so every user of RapidJSON sees the same template definitions.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|amd64")
  target_compile_definitions(accrue_rapidjson INTERFACE RAPIDJSON_SSE2)
endif()
