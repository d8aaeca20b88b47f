#include "tests/pg_test_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <pqxx/pqxx>

namespace accrue::testing {
namespace {

std::string ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// "postgresql://u@h:p/postgres" -> "postgresql://u@h:p/<db>"
std::string WithDatabase(const std::string& admin_url, const std::string& db) {
  auto slash = admin_url.rfind('/');
  return admin_url.substr(0, slash + 1) + db;
}

}  // namespace

std::string PgClusterUrl() {
  if (const char* env = std::getenv("ACCRUE_TEST_PG_URL"); env && *env) return env;
  const std::string state = ACCRUE_PG_STATE_DIR;
  std::string url = ReadFirstLine(state + "/url");
  if (url.empty()) {
    ADD_FAILURE() << "No throwaway PostgreSQL cluster: " << state
                  << "/url is missing. Run this test through ctest (fixture pg_cluster_start, "
                     "scripts/pgtmp.sh) or set ACCRUE_TEST_PG_URL.";
  }
  return url;
}

PgTestDatabase::PgTestDatabase() {
  admin_url_ = PgClusterUrl();
  if (admin_url_.empty()) return;
  static std::atomic<int> counter{0};
  name_ = "t_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  try {
    pqxx::connection admin(admin_url_);
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_));
    tx.exec("CREATE DATABASE " + tx.quote_name(name_));
    url_ = WithDatabase(admin_url_, name_);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "Cannot create a test database in the throwaway cluster at " << admin_url_
                  << ": " << e.what();
  }
}

PgTestDatabase::~PgTestDatabase() {
  if (url_.empty()) return;
  try {
    pqxx::connection admin(admin_url_);
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "Cannot drop test database " << name_ << ": " << e.what();
  }
}

}  // namespace accrue::testing
