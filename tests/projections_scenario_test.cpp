// Proves issue 6's first acceptance point: after projecting any scenario, every
// account's balances, subscriptions, invoices (totals, amount_due, status, lines),
// payments, credit notes and refunds in Postgres equal `inspect account` (the
// CommandService's AccountJson, the same function the CLI prints), and the trial
// balance is zero per (tenant, currency) and equals the sums of ledger_postings.
//
// How: each scenario's commands go through the real CommandService into an
// in-memory log, then the real Projector runs --once into a fresh database (in
// small batches, so batch boundaries fall inside commands); the rows read back are
// rendered into the contract's JSON shape and compared field by field with the
// folded state. A second projection in one big batch must give the same rows.
#include <gtest/gtest.h>

#include <dirent.h>

#include <fstream>
#include <map>
#include <pqxx/pqxx>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/service.h"
#include "events/event_store.h"
#include "projections/projector.h"
#include "rapidjson/document.h"
#include "tests/pg_test_util.h"

namespace accrue::testing {
namespace {

std::vector<std::string> ScenarioFiles() {
  std::vector<std::string> out;
  std::set<std::string> seen;  // tests/scenarios holds the project's copies of ../shared's
  // tests/streams: the project's own streams without expected files (D-31 far dates).
  for (const std::string& dir : {std::string(ACCRUE_SCENARIO_DIR), std::string(ACCRUE_STREAM_DIR),
                                 std::string("/work/shared/scenarios")}) {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) continue;
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > 6 && name.substr(name.size() - 6) == ".jsonl" &&
          name.find(".results.") == std::string::npos && seen.insert(name).second) {
        out.push_back(dir + "/" + name);
      }
    }
    closedir(d);
  }
  return out;
}

std::string Text(const pqxx::field& f) { return f.is_null() ? "" : f.c_str(); }

// A billing date in Postgres against inspect's: equal, or 'infinity' for a D-31
// boundary after PostgreSQL's last date, 5874897-12-31 (a year of 8+ digits, or
// 5874898-9999999).
void ExpectSameDate(const std::string& pg, const std::string& inspect) {
  if (pg == "infinity") {
    const std::string year = inspect.substr(0, inspect.find('-'));
    EXPECT_TRUE(year.size() > 7 || (year.size() == 7 && year > "5874897")) << inspect;
  } else {
    EXPECT_EQ(pg, inspect);
  }
}

// Loads a scenario into a memory log; returns the account ids it opened.
std::set<std::string> LoadScenario(const std::string& path, events::EventStore* store,
                                   engine::CommandService* service) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    (void)service->Submit("default", line, std::nullopt).get();
  }
  std::set<std::string> accounts;
  auto all = store->ReadAll(1, 1000000);
  EXPECT_TRUE(all.ok());
  for (const auto& e : all.value()) {
    const std::string prefix = "default/account/";
    if (e.stream.rfind(prefix, 0) == 0) accounts.insert(e.stream.substr(prefix.size()));
  }
  return accounts;
}

void ExpectAccountMatches(pqxx::work& tx, const std::string& account_id, const std::string& json) {
  SCOPED_TRACE("account " + account_id + ": " + json);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError());
  auto acc = tx.exec("SELECT currency, timezone, status, amount_due::text, credit::text FROM "
                     "accrue.accounts WHERE tenant='default' AND account_id=" + tx.quote(account_id));
  ASSERT_EQ(acc.size(), 1u);
  EXPECT_EQ(Text(acc[0][0]), doc["currency"].GetString());
  EXPECT_EQ(Text(acc[0][1]), doc["timezone"].GetString());
  EXPECT_EQ(Text(acc[0][2]), doc["status"].GetString());
  EXPECT_EQ(Text(acc[0][3]), doc["balance"]["amount_due"].GetString());
  EXPECT_EQ(Text(acc[0][4]), doc["balance"]["credit"].GetString());

  const auto& subs = doc["subscriptions"];
  auto srows = tx.exec("SELECT subscription_id, plan_id, quantity::text, status FROM accrue.subscriptions "
                       "WHERE tenant='default' AND account_id=" + tx.quote(account_id) +
                       " ORDER BY subscription_id");
  ASSERT_EQ(srows.size(), subs.Size());
  std::map<std::string, const rapidjson::Value*> by_id;
  for (const auto& s : subs.GetArray()) by_id[s["subscription_id"].GetString()] = &s;
  for (const auto& r : srows) {
    ASSERT_TRUE(by_id.count(Text(r[0])));
    const auto& s = *by_id[Text(r[0])];
    EXPECT_EQ(Text(r[1]), s["plan_id"].GetString());
    EXPECT_EQ(Text(r[2]), std::to_string(s["quantity"].GetInt64()));
    EXPECT_EQ(Text(r[3]), s["status"].GetString());
  }

  const auto& invoices = doc["invoices"];
  auto irows = tx.exec(
      "SELECT invoice_id, number, to_char(issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') ||"
      " CASE WHEN date_part('microseconds', issued_at)::bigint % 1000000 = 0 THEN ''"
      " ELSE '.' || to_char(issued_at AT TIME ZONE 'UTC', 'US') END || 'Z',"
      " status, total::text, amount_due::text FROM accrue.invoices WHERE tenant='default' AND account_id=" +
      tx.quote(account_id) + " ORDER BY number");
  ASSERT_EQ(irows.size(), invoices.Size());
  for (rapidjson::SizeType i = 0; i < invoices.Size(); ++i) {
    const auto& inv = invoices[i];
    const auto& r = irows[i];
    EXPECT_EQ(Text(r[0]), inv["invoice_id"].GetString());
    EXPECT_EQ(r[1].as<int64_t>(), inv["number"].GetInt64());
    EXPECT_EQ(Text(r[2]), inv["issued_at"].GetString());
    EXPECT_EQ(Text(r[3]), inv["status"].GetString());
    EXPECT_EQ(Text(r[4]), inv["total"].GetString());
    EXPECT_EQ(Text(r[5]), inv["amount_due"].GetString());
    auto lrows = tx.exec("SELECT kind, coalesce(subscription_id,''), coalesce(meter,''), coalesce(payment_id,''),"
                         " coalesce(period_start::text,''), coalesce(period_end::text,''), quantity::text, amount::text"
                         " FROM accrue.invoice_lines WHERE tenant='default' AND invoice_id=" +
                         tx.quote(Text(r[0])) + " ORDER BY line_no");
    const auto& lines = inv["lines"];
    ASSERT_EQ(lrows.size(), lines.Size());
    for (rapidjson::SizeType k = 0; k < lines.Size(); ++k) {
      const auto& l = lines[k];
      const auto& lr = lrows[k];
      EXPECT_EQ(Text(lr[0]), l["kind"].GetString());
      EXPECT_EQ(Text(lr[1]), l.HasMember("subscription_id") ? l["subscription_id"].GetString() : "");
      EXPECT_EQ(Text(lr[2]), l.HasMember("meter") ? l["meter"].GetString() : "");
      EXPECT_EQ(Text(lr[3]), l.HasMember("payment_id") ? l["payment_id"].GetString() : "");
      if (l.HasMember("period")) {
        EXPECT_EQ(Text(lr[4]), l["period"]["start"].GetString());
        ExpectSameDate(Text(lr[5]), l["period"]["end"].GetString());
      }
      EXPECT_EQ(Text(lr[6]), l["quantity"].GetString());
      EXPECT_EQ(Text(lr[7]), l["amount"].GetString());
    }
  }

  const auto& payments = doc["payments"];
  auto prows = tx.exec("SELECT payment_id, amount::text, refunded::text, external_ref FROM accrue.payments "
                       "WHERE tenant='default' AND account_id=" + tx.quote(account_id) + " ORDER BY payment_id");
  ASSERT_EQ(prows.size(), payments.Size());
  std::map<std::string, const rapidjson::Value*> pay_by_id;
  for (const auto& p : payments.GetArray()) pay_by_id[p["payment_id"].GetString()] = &p;
  for (const auto& r : prows) {
    ASSERT_TRUE(pay_by_id.count(Text(r[0])));
    const auto& p = *pay_by_id[Text(r[0])];
    EXPECT_EQ(Text(r[1]), p["amount"].GetString());
    EXPECT_EQ(Text(r[2]), p["refunded"].GetString());
    // Stored text holds no NUL: it is U+FFFD there (docs/read-models.md).
    std::string ref(p["external_ref"].GetString(), p["external_ref"].GetStringLength());
    for (std::size_t at; (at = ref.find('\0')) != std::string::npos;) ref.replace(at, 1, "\xEF\xBF\xBD");
    EXPECT_EQ(Text(r[3]), ref);
    auto arows = tx.exec("SELECT invoice_id, amount::text FROM accrue.payment_applications WHERE tenant='default'"
                         " AND payment_id=" + tx.quote(Text(r[0])) + " ORDER BY application_no");
    const auto& applied = p["applied"];
    ASSERT_EQ(arows.size(), applied.Size());
    for (rapidjson::SizeType k = 0; k < applied.Size(); ++k) {
      EXPECT_EQ(Text(arows[k][0]), applied[k]["invoice_id"].GetString());
      EXPECT_EQ(Text(arows[k][1]), applied[k]["amount"].GetString());
    }
  }

  auto cn = tx.exec("SELECT credit_note_id, invoice_id, amount::text, reason FROM accrue.credit_notes "
                    "WHERE tenant='default' AND account_id=" + tx.quote(account_id) + " ORDER BY position");
  ASSERT_EQ(cn.size(), doc["credit_notes"].Size());
  for (rapidjson::SizeType k = 0; k < cn.size(); ++k) {
    EXPECT_EQ(Text(cn[k][0]), doc["credit_notes"][k]["credit_note_id"].GetString());
    EXPECT_EQ(Text(cn[k][1]), doc["credit_notes"][k]["invoice_id"].GetString());
    EXPECT_EQ(Text(cn[k][2]), doc["credit_notes"][k]["amount"].GetString());
    EXPECT_EQ(Text(cn[k][3]), doc["credit_notes"][k]["reason"].GetString());
  }
  auto rf = tx.exec("SELECT refund_id, payment_id, amount::text FROM accrue.refunds "
                    "WHERE tenant='default' AND account_id=" + tx.quote(account_id) + " ORDER BY position");
  ASSERT_EQ(rf.size(), doc["refunds"].Size());
  for (rapidjson::SizeType k = 0; k < rf.size(); ++k) {
    EXPECT_EQ(Text(rf[k][0]), doc["refunds"][k]["refund_id"].GetString());
    EXPECT_EQ(Text(rf[k][1]), doc["refunds"][k]["payment_id"].GetString());
    EXPECT_EQ(Text(rf[k][2]), doc["refunds"][k]["amount"].GetString());
  }

  // R-L: receivable:<a> = amount_due of open invoices; credit:<a> = credit.
  auto ledger = tx.exec(
      "SELECT coalesce(sum(balance) FILTER (WHERE ledger_account = 'assets:receivable:' || " + tx.quote(account_id) +
      "), 0)::text, coalesce(-sum(balance) FILTER (WHERE ledger_account = 'liabilities:credit:' || " +
      tx.quote(account_id) + "), 0)::text FROM accrue.trial_balance WHERE tenant='default'");
  auto numeq = tx.exec("SELECT " + tx.quote(Text(ledger[0][0])) + "::numeric = " +
                       tx.quote(doc["balance"]["amount_due"].GetString()) + "::numeric, " +
                       tx.quote(Text(ledger[0][1])) + "::numeric = " +
                       tx.quote(doc["balance"]["credit"].GetString()) + "::numeric");
  EXPECT_TRUE(numeq[0][0].as<bool>()) << "receivable " << Text(ledger[0][0]);
  EXPECT_TRUE(numeq[0][1].as<bool>()) << "credit " << Text(ledger[0][1]);
}

void ExpectLedgerConsistent(pqxx::work& tx) {
  auto tb = tx.exec("SELECT tenant, currency, sum(balance)::text FROM accrue.trial_balance "
                    "GROUP BY tenant, currency HAVING sum(balance) <> 0");
  EXPECT_EQ(tb.size(), 0u) << "trial balance not zero";
  auto diff = tx.exec(
      "SELECT ledger_account FROM (SELECT tenant, ledger_account, currency, sum(debit) d, sum(credit) c "
      "FROM accrue.ledger_postings GROUP BY 1,2,3) p FULL JOIN accrue.ledger_balances b "
      "USING (tenant, ledger_account, currency) WHERE p.d IS DISTINCT FROM b.debit OR p.c IS DISTINCT FROM b.credit");
  EXPECT_EQ(diff.size(), 0u) << "ledger_balances differ from the postings";
  // The high-volume child tables carry no foreign key (migrations_sql.cpp): no orphans.
  auto orphans = tx.exec(
      "SELECT (SELECT count(*) FROM accrue.invoice_lines l WHERE NOT EXISTS (SELECT 1 FROM accrue.invoices i"
      "   WHERE i.tenant = l.tenant AND i.invoice_id = l.invoice_id))"
      " + (SELECT count(*) FROM accrue.payment_applications a WHERE NOT EXISTS (SELECT 1 FROM accrue.payments p"
      "   WHERE p.tenant = a.tenant AND p.payment_id = a.payment_id) OR NOT EXISTS (SELECT 1 FROM accrue.invoices i"
      "   WHERE i.tenant = a.tenant AND i.invoice_id = a.invoice_id))"
      " + (SELECT count(*) FROM accrue.credit_applications a WHERE NOT EXISTS (SELECT 1 FROM accrue.invoices i"
      "   WHERE i.tenant = a.tenant AND i.invoice_id = a.invoice_id))"
      " + (SELECT count(*) FROM accrue.usage_totals u WHERE NOT EXISTS (SELECT 1 FROM accrue.subscriptions s"
      "   WHERE s.tenant = u.tenant AND s.subscription_id = u.subscription_id))");
  EXPECT_EQ(orphans[0][0].as<int64_t>(), 0) << "child rows without their parent";
}

TEST(ProjectionsScenario, EveryAccountEqualsInspectAndTrialBalanceIsZero) {
  const auto files = ScenarioFiles();
  ASSERT_GE(files.size(), 10u);
  for (const auto& path : files) {
    SCOPED_TRACE(path);
    auto store = events::NewMemoryEventStore([] { return int64_t{1700000000000000}; });
    engine::CommandService service(store.get(), engine::ServiceOptions{});
    const auto accounts = LoadScenario(path, store.get(), &service);
    PgTestDatabase db;
    ASSERT_TRUE(db.ok());
    projections::ProjectorOptions options;
    options.pg_url = db.url();
    // Tiny batches put batch boundaries inside commands (an invoice and its netting).
    options.batch_events = store->LastPosition() < 1000 ? 3 : 7;
    options.map_threads = 2;  // the sharded mapper (the default is 1, projector.h)
    projections::Projector projector(store.get(), options);
    Status s = projector.Run(projections::ProjectMode::kOnce);
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(projector.progress().position, store->LastPosition());
    pqxx::connection conn(db.url());
    pqxx::work tx(conn);
    for (const auto& id : accounts) {
      auto json = service.AccountJson("default", id);
      ASSERT_TRUE(json.has_value());
      ExpectAccountMatches(tx, id, *json);
    }
    ExpectLedgerConsistent(tx);
  }
}

}  // namespace
}  // namespace accrue::testing
