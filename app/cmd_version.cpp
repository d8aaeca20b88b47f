// `accrue version [--json]`: version, git commit and the versions of the libraries
// accrue was built with (read from their headers at compile time).
#include <google/protobuf/stubs/common.h>
#include <openssl/opensslv.h>
#include <rocksdb/version.h>
#include <spdlog/version.h>

#include <boost/version.hpp>
#include <cstdio>
#include <pqxx/version.hxx>
#include <string>
#include <utility>
#include <vector>

#include "app/build_info.h"
#include "app/cli.h"

#define ACCRUE_STR2(x) #x
#define ACCRUE_STR(x) ACCRUE_STR2(x)

namespace accrue::app {

int RunVersion(const GlobalOptions&, const std::vector<std::string>& args) {
  bool json = false;
  int code = kExitOk;
  if (!ParseJsonFlagOnly(args, "version", &json, &code)) return code;

  const std::string protobuf = std::to_string(GOOGLE_PROTOBUF_VERSION / 1000000) + "." +
                               std::to_string(GOOGLE_PROTOBUF_VERSION / 1000 % 1000) + "." +
                               std::to_string(GOOGLE_PROTOBUF_VERSION % 1000);
  const std::string boost = std::to_string(BOOST_VERSION / 100000) + "." +
                            std::to_string(BOOST_VERSION / 100 % 1000) + "." +
                            std::to_string(BOOST_VERSION % 100);
  const std::vector<std::pair<std::string, std::string>> deps = {
      {"rocksdb", ACCRUE_STR(ROCKSDB_MAJOR) "." ACCRUE_STR(ROCKSDB_MINOR) "." ACCRUE_STR(ROCKSDB_PATCH)},
      {"libpqxx", PQXX_VERSION},
      {"protobuf", protobuf},
      {"boost", boost},
      {"spdlog", ACCRUE_STR(SPDLOG_VER_MAJOR) "." ACCRUE_STR(SPDLOG_VER_MINOR) "." ACCRUE_STR(SPDLOG_VER_PATCH)},
      {"openssl", OPENSSL_VERSION_TEXT},
  };
  if (json) {
    std::printf("{\"version\":\"%s\",\"commit\":\"%s\",\"build\":\"%s\",\"dependencies\":{", ACCRUE_VERSION,
                ACCRUE_GIT_COMMIT, ACCRUE_BUILD_TYPE);
    for (std::size_t i = 0; i < deps.size(); ++i) {
      std::printf("%s\"%s\":\"%s\"", i ? "," : "", deps[i].first.c_str(), deps[i].second.c_str());
    }
    std::printf("}}\n");
  } else {
    std::printf("accrue %s (commit %s, %s build)\n", ACCRUE_VERSION, ACCRUE_GIT_COMMIT, ACCRUE_BUILD_TYPE);
    for (const auto& [name, version] : deps) std::printf("  %-9s %s\n", name.c_str(), version.c_str());
  }
  return kExitOk;
}

}  // namespace accrue::app
