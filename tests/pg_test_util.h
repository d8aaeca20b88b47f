// PgTestDatabase: one fresh database per test in the run's throwaway cluster.
//
// The cluster is started by the ctest fixture `pg_cluster_start` (scripts/pgtmp.sh)
// and its URL is read from the fixture's state dir (or ACCRUE_TEST_PG_URL when set).
// Construction creates a uniquely named database; destruction drops it. When no
// cluster can be reached the test FAILS with a message saying why: tests that need
// Postgres never skip silently.
#ifndef ACCRUE_TESTS_PG_TEST_UTIL_H_
#define ACCRUE_TESTS_PG_TEST_UTIL_H_

#include <string>

namespace accrue::testing {

// The cluster's admin URL (database `postgres`); an empty string and a gtest failure
// when there is none.
std::string PgClusterUrl();

class PgTestDatabase {
 public:
  PgTestDatabase();   // creates the database; ADD_FAILURE()s with the reason on error
  ~PgTestDatabase();  // drops it
  PgTestDatabase(const PgTestDatabase&) = delete;
  PgTestDatabase& operator=(const PgTestDatabase&) = delete;

  bool ok() const { return !url_.empty(); }
  const std::string& url() const { return url_; }    // URL of this test's database
  const std::string& name() const { return name_; }

 private:
  std::string admin_url_;
  std::string name_;
  std::string url_;
};

}  // namespace accrue::testing

#endif  // ACCRUE_TESTS_PG_TEST_UTIL_H_
