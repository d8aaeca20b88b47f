#!/usr/bin/env bash
# make demo: posts a realistic generated workload into a fresh ./accrue-data and
# shows what accrue made of it.
#
# Steps (each prints what it did and how long it took; any failure stops the
# demo with a non-zero exit):
#   1. generate  - `accrue bench gen --profile demo`: hundreds of accounts in six
#                  currencies and ten time zones, a year of monthly bill runs,
#                  usage, changes, cancellations, payments, credit notes, refunds
#                  and payment reversals (deterministic: same seed, same lines)
#   2. fresh log - moves an existing ./accrue-data aside (never deletes it)
#   3. post      - `accrue post` of the whole workload; every command must be accepted
#   4. summary   - `accrue bench summary`: invoices, revenue by line kind, open
#                  receivables, and every invariant of docs/invariants.md over the log
#   5. verify    - `accrue log verify`: positions, versions, hash chain, payloads
# Later steps (projection into Postgres, posting through HTTP) are added after
# step 5 as their own functions.
#
# Environment: ACCRUE (binary, default build/release/accrue), DEMO_ACCOUNTS (300),
# DEMO_MONTHS (12), DEMO_SEED (2024), ACCRUE_DATA (./accrue-data),
# DEMO_WORK (build/demo: the workload and the post results).
set -euo pipefail

cd "$(dirname "$0")/.."
ACCRUE=${ACCRUE:-build/release/accrue}
DEMO_ACCOUNTS=${DEMO_ACCOUNTS:-300}
DEMO_MONTHS=${DEMO_MONTHS:-12}
DEMO_SEED=${DEMO_SEED:-2024}
ACCRUE_DATA=${ACCRUE_DATA:-./accrue-data}
DEMO_WORK=${DEMO_WORK:-build/demo}
WORKLOAD="$DEMO_WORK/workload.jsonl"
RESULTS="$DEMO_WORK/results.jsonl"

step_no=0
step_started=0
begin_step() {
  step_no=$((step_no + 1))
  step_started=$(date +%s%N)
  echo
  echo "== step $step_no: $1"
}
end_step() {
  local elapsed_ms=$(( ($(date +%s%N) - step_started) / 1000000 ))
  printf -- "-- step %d done in %d.%03d s: %s\n" "$step_no" $((elapsed_ms / 1000)) $((elapsed_ms % 1000)) "$1"
}
fail() {
  echo "demo: step $step_no failed: $1" >&2
  exit 1
}

step_generate() {
  begin_step "generate the demo workload ($DEMO_ACCOUNTS accounts, $DEMO_MONTHS months, seed $DEMO_SEED)"
  mkdir -p "$DEMO_WORK"
  "$ACCRUE" bench gen --profile demo --accounts "$DEMO_ACCOUNTS" --months "$DEMO_MONTHS" \
    --seed "$DEMO_SEED" > "$WORKLOAD" || fail "accrue bench gen exited $?"
  end_step "$(wc -l < "$WORKLOAD") command lines in $WORKLOAD"
}

step_fresh_log() {
  begin_step "start from a fresh event log at $ACCRUE_DATA"
  if [[ -e "$ACCRUE_DATA" ]]; then
    local aside
    aside="$ACCRUE_DATA.old-$(date +%Y%m%d-%H%M%S)"
    mv "$ACCRUE_DATA" "$aside" || fail "cannot move $ACCRUE_DATA aside"
    echo "moved the existing $ACCRUE_DATA aside to $aside (delete it when you no longer need it)"
  fi
  end_step "no log at $ACCRUE_DATA; post will create it"
}

step_post() {
  begin_step "post the workload with accrue post"
  local rc=0
  "$ACCRUE" --data "$ACCRUE_DATA" post "$WORKLOAD" > "$RESULTS" || rc=$?
  local accepted rejected
  accepted=$(grep -c '"status":"accepted"' "$RESULTS" || true)
  rejected=$(grep -c '"status":"rejected"' "$RESULTS" || true)
  if [[ $rc -ne 0 ]]; then
    grep -v '"status":"accepted"' "$RESULTS" | head -5 >&2 || true
    fail "accrue post exited $rc ($accepted accepted, $rejected rejected; results in $RESULTS)"
  fi
  end_step "$accepted commands accepted, $rejected rejected (results in $RESULTS)"
}

step_summary() {
  begin_step "summarise the log (accrue bench summary)"
  "$ACCRUE" --data "$ACCRUE_DATA" bench summary || fail "accrue bench summary exited $? (an invariant is violated?)"
  end_step "summary printed above"
}

step_verify() {
  begin_step "verify the log (accrue log verify)"
  "$ACCRUE" --data "$ACCRUE_DATA" log verify || fail "accrue log verify exited $?"
  end_step "positions, stream versions, hash chain and payloads check out"
}

# Read models (issue 6): project the log into PostgreSQL (ACCRUE_PG_URL, or a
# throwaway cluster that is removed when the demo exits) and print the receivables
# aging report and the trial balance from the views.
step_project() {
  begin_step "project the log into PostgreSQL (accrue project --once) and query the views"
  local url=${ACCRUE_PG_URL:-}
  if [[ -z "$url" ]]; then
    bash scripts/pgtmp.sh start "$DEMO_WORK/pg" $$ >/dev/null || fail "cannot start a throwaway PostgreSQL"
    url=$(cat "$DEMO_WORK/pg/url")
  fi
  "$ACCRUE" --data "$ACCRUE_DATA" project --pg "$url" --once || fail "accrue project exited $?"
  echo "receivables aging as of the workload's end (top 10 by amount over 90 days):"
  psql -X -q "$url" -c "SELECT * FROM accrue.receivables_aging('$((2024 + (DEMO_MONTHS - 1) / 12))-12-31T23:59:59Z')
    ORDER BY over_90 DESC, days_61_90 DESC LIMIT 10" || fail "aging query failed"
  echo "trial balance per currency (must be zero):"
  psql -X -q "$url" -c "SELECT tenant, currency, sum(balance) AS total FROM accrue.trial_balance
    GROUP BY 1, 2 ORDER BY 1, 2" || fail "trial balance query failed"
  [[ -n "${ACCRUE_PG_URL:-}" ]] || bash scripts/pgtmp.sh stop "$DEMO_WORK/pg" >/dev/null
  end_step "read models projected; set ACCRUE_PG_URL to keep them in your own PostgreSQL"
}

main() {
  [[ -x "$ACCRUE" ]] || { echo "demo: $ACCRUE not found; run make first" >&2; exit 2; }
  local started
  started=$(date +%s)
  step_generate
  step_fresh_log
  step_post
  step_summary
  step_verify
  step_project
  echo
  echo "demo: all $step_no steps passed in $(( $(date +%s) - started )) s; the log is in $ACCRUE_DATA"
  echo "try: $ACCRUE --data $ACCRUE_DATA inspect account acct-000001 | head -c 600"
}

main "$@"
