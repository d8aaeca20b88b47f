// The SQL of every migration of the read-model schema, in version order.
//
// Each text is run with search_path set to the target schema only (the live
// `accrue`, or the rebuild's `accrue_rebuild`), so names are written unqualified.
// Views and the SQL-standard function body (BEGIN ATOMIC) bind to the tables by
// OID when created, so they follow their schema through the rebuild's rename.
//
// Rules for editing: never change a released migration; add a new one.
// contract.md "Read models" fixes the names and columns of accounts,
// subscriptions, invoices, invoice_lines, payments, ledger_postings,
// trial_balance, receivables_aging, revenue_by_month and projector_checkpoint.
#include "projections/migrations.h"

namespace accrue::projections {
namespace {

// V1: the tables. Amounts are NUMERIC written at the currency's scale by the
// projector (never float); instants timestamptz; billing dates date. Foreign keys
// are DEFERRABLE INITIALLY DEFERRED: a batch is checked as a whole at COMMIT.
// The high-volume child tables (invoice_lines, payment_applications,
// credit_applications, usage_totals, ledger_*) carry no foreign key: a deferred
// RI check per row tripled the projection time (docs/read-models.md); their
// parents are written in the same transaction by construction, and
// projections_scenario_test checks for orphans.
constexpr const char* kV1Tables = R"SQL(
CREATE TABLE currencies (
  code     text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
  exponent smallint NOT NULL CHECK (exponent BETWEEN 0 AND 4)
);

CREATE TABLE plans (
  tenant         text NOT NULL,
  plan_id        text NOT NULL,
  currency       text NOT NULL REFERENCES currencies (code),
  interval       text NOT NULL CHECK (interval IN ('month', 'year')),
  interval_count numeric NOT NULL CHECK (interval_count > 0),
  amount         numeric NOT NULL CHECK (amount >= 0),
  position       bigint NOT NULL CHECK (position > 0),
  PRIMARY KEY (tenant, plan_id)
);

CREATE TABLE plan_meters (
  tenant     text NOT NULL,
  plan_id    text NOT NULL,
  meter      text NOT NULL,
  unit_price numeric NOT NULL CHECK (unit_price >= 0),
  PRIMARY KEY (tenant, plan_id, meter),
  FOREIGN KEY (tenant, plan_id) REFERENCES plans DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE accounts (
  tenant           text NOT NULL,
  account_id       text NOT NULL,
  currency         text NOT NULL REFERENCES currencies (code),
  timezone         text NOT NULL,
  status           text NOT NULL CHECK (status IN ('open', 'closed')),
  amount_due       numeric NOT NULL CHECK (amount_due >= 0),
  credit           numeric NOT NULL CHECK (credit >= 0),
  updated_position bigint NOT NULL CHECK (updated_position > 0),
  PRIMARY KEY (tenant, account_id)
);

CREATE TABLE subscriptions (
  tenant          text NOT NULL,
  subscription_id text NOT NULL,
  account_id      text NOT NULL,
  plan_id         text NOT NULL,
  quantity        numeric NOT NULL CHECK (quantity > 0),
  status          text NOT NULL CHECK (status IN ('active', 'canceled')),
  start_at        timestamptz NOT NULL,
  end_date        date,
  invoiced_periods bigint NOT NULL CHECK (invoiced_periods >= 0),
  PRIMARY KEY (tenant, subscription_id),
  FOREIGN KEY (tenant, account_id) REFERENCES accounts DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE invoices (
  tenant      text NOT NULL,
  invoice_id  text NOT NULL,
  account_id  text NOT NULL,
  number      bigint NOT NULL CHECK (number > 0),
  issued_at   timestamptz NOT NULL,
  status      text NOT NULL CHECK (status IN ('open', 'paid', 'void', 'uncollectible')),
  total       numeric NOT NULL,                                -- may be negative (R-I4)
  amount_due  numeric NOT NULL CHECK (amount_due >= 0),
  credited    numeric NOT NULL CHECK (credited >= 0),
  currency    text NOT NULL REFERENCES currencies (code),
  is_reversal boolean NOT NULL,
  CHECK (amount_due <= greatest(total, 0)),                    -- D-35
  CHECK (status <> 'paid' OR amount_due = 0),                  -- D-35
  CHECK (credited <= greatest(total, 0)),                      -- R-P2
  PRIMARY KEY (tenant, invoice_id),
  UNIQUE (tenant, account_id, number),                         -- R-I2
  FOREIGN KEY (tenant, account_id) REFERENCES accounts DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE invoice_lines (
  tenant          text NOT NULL,
  invoice_id      text NOT NULL,
  line_no         integer NOT NULL CHECK (line_no > 0),
  kind            text NOT NULL CHECK (kind IN ('recurring', 'proration_credit',
                    'proration_charge', 'usage', 'payment_reversal')),
  subscription_id text,
  meter           text,
  payment_id      text,
  plan_id         text,
  period_start    date,
  period_end      date,
  quantity        numeric NOT NULL,
  amount          numeric NOT NULL,                            -- may be negative (R-I4)
  currency        text NOT NULL,
  CHECK ((period_start IS NULL) = (period_end IS NULL)),
  CHECK ((kind = 'payment_reversal') = (payment_id IS NOT NULL)),
  CHECK ((kind = 'usage') = (meter IS NOT NULL)),
  PRIMARY KEY (tenant, invoice_id, line_no)
);

CREATE TABLE payments (
  tenant       text NOT NULL,
  payment_id   text NOT NULL,
  account_id   text NOT NULL,
  amount       numeric NOT NULL CHECK (amount > 0),            -- R-P1
  refunded     numeric NOT NULL CHECK (refunded >= 0 AND refunded <= amount),  -- R-P3
  currency     text NOT NULL REFERENCES currencies (code),
  received_at  timestamptz NOT NULL,
  external_ref text NOT NULL,
  reversed     boolean NOT NULL,
  PRIMARY KEY (tenant, payment_id),
  UNIQUE (tenant, external_ref),
  FOREIGN KEY (tenant, account_id) REFERENCES accounts DEFERRABLE INITIALLY DEFERRED
);

-- What record_payment applied (D-39); D-36 netting is in credit_applications.
CREATE TABLE payment_applications (
  tenant         text NOT NULL,
  payment_id     text NOT NULL,
  application_no integer NOT NULL CHECK (application_no > 0),
  invoice_id     text NOT NULL,
  amount         numeric NOT NULL CHECK (amount > 0),
  PRIMARY KEY (tenant, payment_id, application_no)
);

-- Account credit applied to open invoices (D-36), one row per invoice per event.
CREATE TABLE credit_applications (
  tenant         text NOT NULL,
  position       bigint NOT NULL,
  application_no integer NOT NULL CHECK (application_no > 0),
  account_id     text NOT NULL,
  invoice_id     text NOT NULL,
  amount         numeric NOT NULL CHECK (amount > 0),
  PRIMARY KEY (position, application_no)
);

CREATE TABLE credit_notes (
  tenant         text NOT NULL,
  credit_note_id text NOT NULL,
  invoice_id     text NOT NULL,
  account_id     text NOT NULL,
  amount         numeric NOT NULL CHECK (amount > 0),            -- R-P2
  applied        numeric NOT NULL CHECK (applied >= 0),
  to_credit      numeric NOT NULL CHECK (to_credit >= 0),
  reason         text NOT NULL,
  position       bigint NOT NULL,
  CHECK (applied + to_credit = amount),
  PRIMARY KEY (tenant, credit_note_id),
  FOREIGN KEY (tenant, invoice_id) REFERENCES invoices DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE refunds (
  tenant     text NOT NULL,
  refund_id  text NOT NULL,
  payment_id text NOT NULL,
  account_id text NOT NULL,
  amount     numeric NOT NULL CHECK (amount > 0),                -- R-P3
  position   bigint NOT NULL,
  PRIMARY KEY (tenant, refund_id),
  FOREIGN KEY (tenant, payment_id) REFERENCES payments DEFERRABLE INITIALLY DEFERRED
);

-- Recorded usage per (subscription, billing period, meter) (R-S7, D-26), billed or not.
CREATE TABLE usage_totals (
  tenant          text NOT NULL,
  subscription_id text NOT NULL,
  meter           text NOT NULL,
  period_start    date NOT NULL,
  period_end      date NOT NULL,
  quantity        numeric NOT NULL,
  records         bigint NOT NULL CHECK (records > 0),
  PRIMARY KEY (tenant, subscription_id, meter, period_start)
);

-- The journal (R-L1..R-L5, D-46): one entry per balanced posting set of an event.
CREATE TABLE ledger_entries (
  tenant     text NOT NULL,
  position   bigint NOT NULL,
  entry_no   integer NOT NULL CHECK (entry_no > 0),
  kind       text NOT NULL,
  account_id text NOT NULL,
  currency   text NOT NULL,
  PRIMARY KEY (position, entry_no)
);

CREATE TABLE ledger_postings (
  tenant         text NOT NULL,
  position       bigint NOT NULL,
  entry_no       integer NOT NULL CHECK (entry_no > 0),
  line_no        integer NOT NULL CHECK (line_no > 0),
  ledger_account text NOT NULL,
  currency       text NOT NULL,
  debit          numeric NOT NULL CHECK (debit >= 0),
  credit         numeric NOT NULL CHECK (credit >= 0),
  CHECK (debit = 0 OR credit = 0),
  PRIMARY KEY (position, entry_no, line_no)
);

-- Running sums of ledger_postings per (tenant, ledger account, currency).
CREATE TABLE ledger_balances (
  tenant         text NOT NULL,
  ledger_account text NOT NULL,
  currency       text NOT NULL,
  debit          numeric NOT NULL CHECK (debit >= 0),
  credit         numeric NOT NULL CHECK (credit >= 0),
  PRIMARY KEY (tenant, ledger_account, currency)
);

-- One row per projector: the last log position applied, in the same transaction
-- as the rows it produced (exactly once).
CREATE TABLE projector_checkpoint (
  projector       text PRIMARY KEY,
  position        bigint NOT NULL CHECK (position >= 0),
  updated_at      timestamptz NOT NULL,
  event_at        timestamptz,          -- recorded_at of the event at `position`
  head_position   bigint NOT NULL DEFAULT 0 CHECK (head_position >= 0),
  events_applied  bigint NOT NULL DEFAULT 0,
  rows_written    bigint NOT NULL DEFAULT 0
);

-- Rows the projector rewrites in place (balances, statuses, running sums) leave
-- room on their page, and no index covers a column that changes, so updates are
-- HOT (no index maintenance).
ALTER TABLE accounts SET (fillfactor = 80);
ALTER TABLE subscriptions SET (fillfactor = 80);
ALTER TABLE invoices SET (fillfactor = 80);
ALTER TABLE payments SET (fillfactor = 80);
ALTER TABLE usage_totals SET (fillfactor = 80);
ALTER TABLE ledger_balances SET (fillfactor = 80);
CREATE INDEX payments_by_account ON payments (tenant, account_id);
CREATE INDEX subscriptions_by_account ON subscriptions (tenant, account_id);
)SQL";

// V2: the finance views and function of contract.md.
constexpr const char* kV2Finance = R"SQL(
-- balance = debits - credits; sums to zero per (tenant, currency) (R-L*).
CREATE VIEW trial_balance AS
  SELECT tenant, currency, ledger_account, debit - credit AS balance
  FROM ledger_balances;

-- Open invoices' amount_due by age (as_of - issued_at, whole days): 0-30 days is
-- current. Invoices issued after as_of are not yet receivable and are left out.
-- Amounts at the currency's scale; one row per account with something open.
CREATE FUNCTION receivables_aging(as_of timestamptz)
RETURNS TABLE (tenant text, account_id text, currency text, current_0_30 numeric,
               days_31_60 numeric, days_61_90 numeric, over_90 numeric)
LANGUAGE sql STABLE
BEGIN ATOMIC
  SELECT a.tenant, a.account_id, a.currency,
         round(coalesce(sum(a.amount_due) FILTER (WHERE a.age_days <= 30), 0), c.exponent),
         round(coalesce(sum(a.amount_due) FILTER (WHERE a.age_days BETWEEN 31 AND 60), 0), c.exponent),
         round(coalesce(sum(a.amount_due) FILTER (WHERE a.age_days BETWEEN 61 AND 90), 0), c.exponent),
         round(coalesce(sum(a.amount_due) FILTER (WHERE a.age_days > 90), 0), c.exponent)
  FROM (SELECT i.tenant, i.account_id, i.currency, i.amount_due,
               floor(extract(epoch FROM (receivables_aging.as_of - i.issued_at)) / 86400) AS age_days
        FROM invoices i
        WHERE i.status = 'open' AND i.amount_due > 0 AND i.issued_at <= receivables_aging.as_of) a
  JOIN currencies c ON c.code = a.currency
  GROUP BY a.tenant, a.account_id, a.currency, c.exponent
  ORDER BY a.tenant, a.account_id;
END;

-- Invoiced amounts by month of issued_at (UTC) and line kind; void invoices are
-- left out (R-L5 reverses them). Credit notes count as kind 'credit_note' with
-- negative amounts in the month of their invoice's issued_at (a credit note has
-- no business time of its own; design.md "Time is explicit").
CREATE VIEW revenue_by_month AS
  SELECT r.tenant, r.month, r.kind, r.currency, sum(r.amount) AS amount
  FROM (
    SELECT i.tenant, date_trunc('month', i.issued_at AT TIME ZONE 'UTC')::date AS month,
           l.kind, i.currency, l.amount
    FROM invoice_lines l
    JOIN invoices i ON i.tenant = l.tenant AND i.invoice_id = l.invoice_id
    WHERE i.status <> 'void'
    UNION ALL
    SELECT i.tenant, date_trunc('month', i.issued_at AT TIME ZONE 'UTC')::date,
           'credit_note', i.currency, -n.amount
    FROM credit_notes n
    JOIN invoices i ON i.tenant = n.tenant AND i.invoice_id = n.invoice_id
  ) r
  GROUP BY r.tenant, r.month, r.kind, r.currency;

-- How far each projector is behind the log as of its last batch.
CREATE VIEW projector_lag AS
  SELECT projector, position, head_position,
         greatest(head_position - position, 0) AS lag_events,
         CASE WHEN head_position > position AND event_at IS NOT NULL
              THEN extract(epoch FROM (updated_at - event_at)) ELSE 0 END AS lag_seconds,
         updated_at
  FROM projector_checkpoint;
)SQL";

// V3: invoices and payments reference their account by (tenant, account_id,
// currency) instead of (tenant, account_id) plus an immediate foreign key on
// currency: one deferred RI check per new row instead of two (the per-row
// currency check was ~7% of projection time). The guarantee is stronger: the row's
// currency must be its account's, which references currencies. And the
// per-account tables every batch rewrites get half-empty pages (HOT updates).
constexpr const char* kV3AccountCurrencyKeys = R"SQL(
ALTER TABLE accounts ADD CONSTRAINT accounts_tenant_account_id_currency_key
  UNIQUE (tenant, account_id, currency);
ALTER TABLE invoices
  DROP CONSTRAINT invoices_currency_fkey,
  DROP CONSTRAINT invoices_tenant_account_id_fkey,
  ADD CONSTRAINT invoices_account_currency_fkey FOREIGN KEY (tenant, account_id, currency)
    REFERENCES accounts (tenant, account_id, currency) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE payments
  DROP CONSTRAINT payments_currency_fkey,
  DROP CONSTRAINT payments_tenant_account_id_fkey,
  ADD CONSTRAINT payments_account_currency_fkey FOREIGN KEY (tenant, account_id, currency)
    REFERENCES accounts (tenant, account_id, currency) DEFERRABLE INITIALLY DEFERRED;
-- Rows of these per-account tables are rewritten by nearly every batch (balances,
-- invoiced periods): half of each page stays free, so the new version of every
-- row fits beside the old one and the update is HOT (no index entries), whatever
-- share of a page's rows a batch touches.
ALTER TABLE accounts SET (fillfactor = 50);
ALTER TABLE subscriptions SET (fillfactor = 50);
ALTER TABLE ledger_balances SET (fillfactor = 50);
)SQL";

// V4: text cannot hold NUL, so an external_ref with one is stored with U+FFFD in
// its place, and two refs the log tells apart (R-P1, D-9: "x\u0000" and
// "x\uFFFD") would be one value: the unique key stopped the projector for good on
// such a log (found 2026-12-06). The log enforces uniqueness; here it holds for
// every ref without U+FFFD, which is every ref stored exactly.
constexpr const char* kV4ExternalRefUnique = R"SQL(
ALTER TABLE payments DROP CONSTRAINT payments_tenant_external_ref_key;
CREATE UNIQUE INDEX payments_tenant_external_ref_key ON payments (tenant, external_ref)
  WHERE strpos(external_ref, chr(65533)) = 0;
)SQL";

// V5: the checkpoint names the event it stands at by its hash, so read models
// projected from one log are never continued from another: a different log of
// the same length or longer passed the "ahead of the log" check and its events
// after the checkpoint were mixed into the first log's rows (read-model audit,
// 2026-12-06). Null at position 0 and for checkpoints written before V5.
constexpr const char* kV5CheckpointHash = R"SQL(
ALTER TABLE projector_checkpoint ADD COLUMN event_hash text
  CHECK (event_hash ~ '^[0-9a-f]{64}$');
)SQL";

const std::vector<Migration> kMigrations = {
    {1, "tables", kV1Tables},
    {2, "finance views", kV2Finance},
    {3, "account currency keys, fillfactor", kV3AccountCurrencyKeys},
    {4, "external_ref unique where stored exactly", kV4ExternalRefUnique},
    {5, "checkpoint event hash", kV5CheckpointHash},
};

}  // namespace

const std::vector<Migration>& AllMigrations() { return kMigrations; }

}  // namespace accrue::projections
