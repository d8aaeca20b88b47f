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
#   5. verify    - `accrue log verify`: positions, versions, hash chain, payloads, claims and idempotency records
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

# HTTP API (issue 7): serve the same log, post the same workload through
# POST /v1/commands:batch as tenant "http" (1000 commands a request), then prove
# both paths agree: every account's state read over HTTP equals the state the
# file-posted tenant got from `accrue post`. Stops the server with SIGTERM (drain).
readonly DEMO_HTTP_TENANT=http
readonly DEMO_HTTP_BATCH_LINES=1000
readonly DEMO_HTTP_COMPARE_ACCOUNTS=25
SERVE_PID=""
stop_serve() { [[ -z "$SERVE_PID" ]] || { kill -TERM "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; SERVE_PID=""; }; }
step_http() {
  begin_step "post the same workload through the HTTP API (accrue serve) as tenant '$DEMO_HTTP_TENANT'"
  local tokens="$DEMO_WORK/tokens" token port chunk accepted rejected id
  rm -f "$tokens" "$DEMO_WORK"/http-batch-* "$DEMO_WORK/http-results.jsonl"
  token=$("$ACCRUE" tokens add --tokens "$tokens" --tenant "$DEMO_HTTP_TENANT" --scopes write,read | awk '{w=$NF} END {print w}') ||
    fail "accrue tokens add exited $?"
  "$ACCRUE" --data "$ACCRUE_DATA" serve --listen 127.0.0.1:0 --tokens "$tokens" \
    >"$DEMO_WORK/serve.out" 2>"$DEMO_WORK/serve.log" &
  SERVE_PID=$!
  trap stop_serve EXIT
  for _ in $(seq 1 100); do
    grep -q 'listening on' "$DEMO_WORK/serve.out" 2>/dev/null && break
    kill -0 "$SERVE_PID" 2>/dev/null || fail "accrue serve exited early: $(tail -n 3 "$DEMO_WORK/serve.log")"
    sleep 0.1
  done
  port=$(sed -n 's/.*listening on [^:]*:\([0-9]*\).*/\1/p' "$DEMO_WORK/serve.out" | head -n 1)
  [[ -n "$port" ]] || fail "accrue serve did not say where it listens"
  for _ in $(seq 1 100); do  # /readyz turns 200 once the log is open and caught up
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break
    sleep 0.1
  done
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || fail "/readyz did not become ready within 10 s"
  split -l "$DEMO_HTTP_BATCH_LINES" -d -a 4 "$WORKLOAD" "$DEMO_WORK/http-batch-"
  for chunk in "$DEMO_WORK"/http-batch-*; do
    curl -sS -f -H "Authorization: Bearer $token" -H 'Content-Type: application/x-ndjson' \
      --data-binary "@$chunk" "http://127.0.0.1:$port/v1/commands:batch" >>"$DEMO_WORK/http-results.jsonl" ||
      fail "POST /v1/commands:batch failed for $chunk"
  done
  accepted=$(grep -c '"status":"accepted"' "$DEMO_WORK/http-results.jsonl" || true)
  rejected=$(grep -c '"status":"rejected"' "$DEMO_WORK/http-results.jsonl" || true)
  [[ "$rejected" -eq 0 ]] || fail "$rejected commands were rejected over HTTP (see $DEMO_WORK/http-results.jsonl)"
  local compared=0
  for id in $(grep -o '"command":"open_account"[^}]*"account_id":"[^"]*"' "$WORKLOAD" |
              sed 's/.*"account_id":"//; s/"$//' | head -n "$DEMO_HTTP_COMPARE_ACCOUNTS"); do
    # $(...) drops the trailing newline `inspect` prints; the JSON must match byte for byte.
    [[ "$(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/accounts/$id")" == \
       "$("$ACCRUE" --data "$ACCRUE_DATA" inspect account "$id")" ]] ||
      fail "account $id over HTTP (tenant $DEMO_HTTP_TENANT) differs from accrue post's (tenant default)"
    compared=$((compared + 1))
  done
  echo "a few of the server's metrics:"
  curl -sf "http://127.0.0.1:$port/metrics" | grep -E '^accrue_http_requests_total' | head -n 5 || true
  stop_serve
  end_step "$accepted commands accepted over HTTP in $(ls "$DEMO_WORK"/http-batch-* | wc -l) batch requests; $compared accounts identical to the accrue post tenant; server drained on SIGTERM"
}

main() {
  [[ -x "$ACCRUE" ]] || { echo "demo: $ACCRUE not found; run make first" >&2; exit 2; }
  local started
  started=$(date +%s)
  step_generate
  step_fresh_log
  step_post
  step_http
  step_summary
  step_verify
  step_project
  echo
  echo "demo: all $step_no steps passed in $(( $(date +%s) - started )) s; the log is in $ACCRUE_DATA"
  echo "try: $ACCRUE --data $ACCRUE_DATA inspect account acct-000001 | head -c 600"
}

main "$@"
