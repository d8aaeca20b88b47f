// Proves the throwaway-PostgreSQL harness works end to end: the fixture's cluster is
// reachable, each test gets its own database, and libpqxx can create a table, write
// rows in a transaction and read them back exactly (NUMERIC stays exact: no float).
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "tests/pg_test_util.h"

namespace accrue::testing {
namespace {

TEST(PgHarness, CreatesWritesAndReadsATable) {
  PgTestDatabase db;
  ASSERT_TRUE(db.ok());
  pqxx::connection conn(db.url());
  {
    pqxx::work tx(conn);
    tx.exec("CREATE TABLE amounts (id text PRIMARY KEY, amount numeric(40,2) NOT NULL)");
    tx.exec("INSERT INTO amounts VALUES ('a', 49.00), ('b', 170141183460469231731687303715884105.27)");
    tx.commit();
  }
  pqxx::read_transaction tx(conn);
  pqxx::result r = tx.exec("SELECT id, amount::text FROM amounts ORDER BY id");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0][1].as<std::string>(), "49.00");
  EXPECT_EQ(r[1][1].as<std::string>(), "170141183460469231731687303715884105.27");
}

TEST(PgHarness, EachTestHasItsOwnDatabase) {
  PgTestDatabase a;
  PgTestDatabase b;
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a.name(), b.name());
  pqxx::connection conn(a.url());
  pqxx::read_transaction tx(conn);
  EXPECT_EQ(tx.exec1("SELECT current_database()")[0].as<std::string>(), a.name());
}

}  // namespace
}  // namespace accrue::testing
