#!/usr/bin/env bash
# Fault tests of the projector (issue 6 acceptance; docs/read-models.md "Failure modes").
#
#   projector_fault_test.sh crash ACCRUE_BINARY   kill -9 `accrue project --once` at random
#                                                 moments (ROUNDS, default 24) while it projects
#                                                 a ~156,000-event demo log; restart it each time;
#                                                 then the read models must equal a fresh
#                                                 --rebuild row for row.
#   projector_fault_test.sh pgdown ACCRUE_BINARY  stop the PostgreSQL cluster mid-projection
#                                                 (pg_ctl stop), start it again a few seconds
#                                                 later; the SAME projector process must resume
#                                                 by itself, exit 0, and equal a rebuild.
#   projector_fault_test.sh sigterm ACCRUE_BINARY SIGTERM (a real signal) to `project --once`
#                                                 mid-projection: exit 2, "stopped before the
#                                                 head"; to `--follow` once caught up: exit 0;
#                                                 to `--rebuild` midway: exit 2, readers keep
#                                                 the live schema (no switch).
#   projector_fault_test.sh pgcrash ACCRUE_BINARY kill -9 every PostgreSQL process (a server
#                                                 crash; CRASHES times, default 3) mid-projection,
#                                                 start it again (crash recovery): the SAME
#                                                 projector resumes by itself and equals a rebuild.
#                                                 With synchronous_commit off the crash may lose
#                                                 the last commits; the checkpoint goes back with
#                                                 them and the projector re-projects that stretch.
#   projector_fault_test.sh diskfull ACCRUE_BINARY SHIM
#                                                 the server's disk fills up mid-projection (SHIM:
#                                                 tests/pg_disk_full_shim.c preloaded into the
#                                                 server; growing a table fails with ENOSPC,
#                                                 SQLSTATE 53100) for FULL_SECONDS (default 4):
#                                                 the projector rolls back and retries, stays up,
#                                                 resumes when space returns, equals a rebuild.
#
# Each run uses its own throwaway cluster (scripts/pgtmp.sh; the reaper removes it
# even if this script is killed) and its own temp dir. "Equal" is checked per table
# with EXCEPT ALL both ways between schema accrue (the rebuild, switched in) and
# accrue_old (what the faulted projector wrote), on every column except the
# checkpoint's timestamps: so nothing was applied twice, skipped, or left half-done.
set -euo pipefail

readonly USAGE="usage: projector_fault_test.sh crash|pgdown|pgcrash|sigterm|diskfull ACCRUE_BINARY [SHIM]"
readonly MODE=${1:?$USAGE}
readonly ACCRUE=${2:?$USAGE}
readonly SHIM=${3:-}
readonly CRASHES=${CRASHES:-3}
readonly FULL_SECONDS=${FULL_SECONDS:-4}
readonly ROUNDS=${ROUNDS:-24}
readonly ACCOUNTS=${ACCOUNTS:-2000}   # ~156,000 events with 12 months of the demo profile
readonly BATCH=${BATCH:-500}
readonly ROOT=$(cd "$(dirname "$0")/.." && pwd)

WORK=$(mktemp -d /tmp/accrue-projfault.XXXXXX)
STATE="$WORK/pg"
cleanup() {
  bash "$ROOT/scripts/pgtmp.sh" stop "$STATE" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

if [ "$MODE" = diskfull ]; then
  [ -f "$SHIM" ] || fail "diskfull needs the shim (tests/pg_disk_full_shim.c, built): '$SHIM'"
  PGTMP_PRELOAD=$SHIM bash "$ROOT/scripts/pgtmp.sh" start "$STATE" $$ >/dev/null
else
  bash "$ROOT/scripts/pgtmp.sh" start "$STATE" $$ >/dev/null
fi
SERVER_LOG="$(cat "$STATE/datadir")/server.log"
URL=$(cat "$STATE/url")
PSQL=(psql -X -q -v ON_ERROR_STOP=1 "$URL")

"$ACCRUE" bench gen --profile demo --accounts "$ACCOUNTS" --months 12 --seed 11 > "$WORK/w.jsonl" 2>/dev/null
"$ACCRUE" --data "$WORK/data" post "$WORK/w.jsonl" > "$WORK/post.out"
EVENTS=$("$ACCRUE" --data "$WORK/data" log stat | awk '/^events:/ {print $2}')
echo "log: $EVENTS events"
[ "$EVENTS" -ge 100000 ] || fail "log has only $EVENTS events"

checkpoint() {
  "${PSQL[@]}" -At -c "SELECT coalesce((SELECT position FROM accrue.projector_checkpoint), 0)" 2>/dev/null || echo 0
}

project_once() { "$ACCRUE" --data "$WORK/data" project --pg "$URL" --once --batch "$BATCH" 2>>"$WORK/project.log"; }

if [ "$MODE" = crash ]; then
  kills=0
  for round in $(seq 1 "$ROUNDS"); do
    before=$(checkpoint)
    "$ACCRUE" --data "$WORK/data" project --pg "$URL" --once --batch "$BATCH" 2>>"$WORK/project.log" &
    pid=$!
    if [ $((round % 4)) -eq 1 ]; then
      # Now and then a kill during start-up (opening the log, connecting, migrating).
      sleep "0.$(printf '%03d' $((RANDOM % 900 + 50)))"
    else
      # Otherwise mid-projection: once a batch has committed, a random 0..400 ms more
      # (mapping, COPY, upsert, COMMIT in flight).
      while kill -0 "$pid" 2>/dev/null && [ "$(checkpoint)" -eq "$before" ]; do sleep 0.02; done
      sleep "0.$(printf '%03d' $((RANDOM % 400)))"
    fi
    if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
    wait "$pid" 2>/dev/null || true
    echo "round $round: killed, checkpoint $(checkpoint)"
    [ "$(checkpoint)" -lt "$EVENTS" ] || break
  done
  [ "$kills" -ge 20 ] || fail "only $kills kills landed before the projection finished (raise ACCOUNTS)"
  project_once || fail "final --once exited $?"
  echo "$kills kill -9 rounds, then finished at checkpoint $(checkpoint)"
elif [ "$MODE" = pgdown ]; then
  "$ACCRUE" --data "$WORK/data" project --pg "$URL" --once --batch "$BATCH" 2>>"$WORK/project.log" &
  pid=$!
  for _ in $(seq 1 200); do [ "$(checkpoint)" -gt 0 ] && break; sleep 0.05; done
  at=$(checkpoint)
  bash "$ROOT/scripts/pgtmp.sh" down "$STATE"
  echo "postgres stopped at checkpoint $at"
  sleep 4
  kill -0 "$pid" 2>/dev/null || fail "the projector exited while postgres was down"
  bash "$ROOT/scripts/pgtmp.sh" up "$STATE"
  echo "postgres started again"
  wait "$pid" || fail "the projector exited $? after postgres came back"
  grep -q project_postgres_unavailable_retrying "$WORK/project.log" ||
    fail "the projector never noticed postgres was gone"
  [ "$(checkpoint)" -eq "$EVENTS" ] || fail "checkpoint $(checkpoint) != $EVENTS"
  [ "$at" -lt "$EVENTS" ] || fail "the projection had finished before postgres went down"
  echo "resumed by itself: $(grep -c project_postgres_unavailable_retrying "$WORK/project.log") retries"
elif [ "$MODE" = pgcrash ]; then
  "$ACCRUE" --data "$WORK/data" project --pg "$URL" --once --batch "$BATCH" 2>>"$WORK/project.log" &
  pid=$!
  seen=0
  for round in $(seq 1 "$CRASHES"); do
    # Once a batch has committed since the last round, a random 0..300 ms more.
    for _ in $(seq 1 600); do [ "$(checkpoint)" -gt "$seen" ] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    sleep "0.$(printf '%03d' $((RANDOM % 300)))"
    at=$(checkpoint)
    [ "$at" -lt "$EVENTS" ] || fail "the projection finished before crash $round (raise ACCOUNTS)"
    bash "$ROOT/scripts/pgtmp.sh" crash "$STATE"
    sleep 2
    kill -0 "$pid" 2>/dev/null || fail "the projector exited while the server was down (crash $round)"
    # pg_ctl warns that "another server might be running" (the dead server's pid
    # file): expected after a crash, so only a failed start is shown.
    bash "$ROOT/scripts/pgtmp.sh" up "$STATE" 2>"$WORK/up.err" || { cat "$WORK/up.err" >&2; fail "restart after crash $round"; }
    recoveries=$(grep -c "automatic recovery in progress" "$SERVER_LOG" || true)
    [ "$recoveries" -ge "$round" ] || fail "the server did not run crash recovery after crash $round"
    seen=$(checkpoint)
    echo "crash $round: checkpoint $at just before the crash, $seen once recovered"
  done
  wait "$pid" || fail "the projector exited $? after the crashes"
  grep -q project_postgres_unavailable_retrying "$WORK/project.log" ||
    fail "the projector never noticed the server was gone"
  [ "$(checkpoint)" -eq "$EVENTS" ] || fail "checkpoint $(checkpoint) != $EVENTS"
  echo "resumed by itself after $CRASHES crashes: $(grep -c project_postgres_unavailable_retrying "$WORK/project.log") retries"
elif [ "$MODE" = diskfull ]; then
  "$ACCRUE" --data "$WORK/data" project --pg "$URL" --once --batch "$BATCH" 2>>"$WORK/project.log" &
  pid=$!
  for _ in $(seq 1 600); do [ "$(checkpoint)" -gt 0 ] && break; sleep 0.05; done
  bash "$ROOT/scripts/pgtmp.sh" diskfull "$STATE" on
  at=$(checkpoint)
  echo "disk full at checkpoint $at"
  for _ in $(seq 1 600); do grep -q '53100' "$WORK/project.log" && break; sleep 0.05; done
  grep -q 'No space left on device' "$SERVER_LOG" || fail "the server never ran out of space (is the shim preloaded?)"
  grep -q 'project_postgres_unavailable_retrying.*53100' "$WORK/project.log" ||
    fail "the projector did not retry on SQLSTATE 53100: $(tail -n 3 "$WORK/project.log")"
  sleep "$FULL_SECONDS"
  kill -0 "$pid" 2>/dev/null || fail "the projector exited while the disk was full"
  held=$(checkpoint)
  [ "$held" -lt "$EVENTS" ] || fail "the projection finished on a full disk (the shim did not hold it)"
  retries=$(grep -c 'project_postgres_unavailable_retrying.*53100' "$WORK/project.log")
  bash "$ROOT/scripts/pgtmp.sh" diskfull "$STATE" off
  echo "space back after ${FULL_SECONDS} s: checkpoint $held, $retries retries on 53100"
  grep -m 1 'could not extend file' "$SERVER_LOG" | sed 's/^/  server log: /'
  grep -m 1 'project_postgres_unavailable_retrying.*53100' "$WORK/project.log" | sed 's/^/  projector log: /'
  wait "$pid" || fail "the projector exited $? after space returned"
  [ "$(checkpoint)" -eq "$EVENTS" ] || fail "checkpoint $(checkpoint) != $EVENTS"
elif [ "$MODE" = sigterm ]; then
  # SIGTERM to a background job once `ready` holds (bounded waits); its exit code in
  # $rc. (Not in a $(...) subshell: only this shell can wait for its job.)
  term_when() {
    local pid=$1 ready=$2
    for _ in $(seq 1 600); do eval "$ready" && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -0 "$pid" 2>/dev/null || fail "the projector ended before SIGTERM ($ready)"
    kill -TERM "$pid"
    rc=0
    wait "$pid" || rc=$?
  }
  "$ACCRUE" --data "$WORK/data" project --pg "$URL" --once --batch "$BATCH" 2>"$WORK/once.log" &
  term_when $! '[ "$(checkpoint)" -gt 0 ]'
  [ "$rc" -eq 2 ] || fail "--once exited $rc after SIGTERM (want 2: stopped short of the head)"
  grep -q "stopped before the head of the log" "$WORK/once.log" || fail "--once did not say it stopped short"
  at=$(checkpoint)
  [ "$at" -lt "$EVENTS" ] || fail "--once had finished before SIGTERM"
  echo "--once: SIGTERM at checkpoint $at, exit 2"
  "$ACCRUE" --data "$WORK/data" project --pg "$URL" --follow --batch "$BATCH" 2>"$WORK/follow.log" &
  term_when $! '[ "$(checkpoint)" -eq "$EVENTS" ]'
  [ "$rc" -eq 0 ] || fail "--follow exited $rc after SIGTERM (want 0)"
  echo "--follow: caught up to $EVENTS, SIGTERM, exit 0"
  rebuild_checkpoint() {
    "${PSQL[@]}" -At -c "SELECT coalesce((SELECT position FROM accrue_rebuild.projector_checkpoint), 0)" 2>/dev/null || echo 0
  }
  "$ACCRUE" --data "$WORK/data" project --pg "$URL" --rebuild --batch "$BATCH" 2>"$WORK/rebuild.log" &
  term_when $! '[ "$(rebuild_checkpoint)" -gt 0 ]'
  [ "$rc" -eq 2 ] || fail "--rebuild exited $rc after SIGTERM (want 2)"
  [ "$(checkpoint)" -eq "$EVENTS" ] || fail "a stopped rebuild switched readers (checkpoint $(checkpoint))"
  echo "--rebuild: SIGTERM midway, exit 2, readers kept the live schema"
else
  fail "unknown mode $MODE"
fi

"$ACCRUE" --data "$WORK/data" project --pg "$URL" --rebuild 2>>"$WORK/project.log" || fail "--rebuild exited $?"

# Row-for-row comparison of every read-model table: rebuild (accrue) vs faulted (accrue_old).
tables="currencies plans plan_meters accounts subscriptions invoices invoice_lines payments
payment_applications credit_applications credit_notes refunds usage_totals ledger_entries
ledger_postings ledger_balances"
for t in $tables; do
  diff=$("${PSQL[@]}" -At -c "SELECT count(*) FROM ((TABLE accrue.$t EXCEPT ALL TABLE accrue_old.$t)
    UNION ALL (TABLE accrue_old.$t EXCEPT ALL TABLE accrue.$t)) d")
  rows=$("${PSQL[@]}" -At -c "SELECT count(*) FROM accrue.$t")
  [ "$diff" -eq 0 ] || fail "table $t: $diff rows differ between the faulted run and the rebuild"
  echo "  $t: $rows rows, identical"
done
cp_diff=$("${PSQL[@]}" -At -c "SELECT count(*) FROM accrue.projector_checkpoint n JOIN accrue_old.projector_checkpoint o
  USING (projector) WHERE n.position <> o.position OR n.events_applied <> o.events_applied")
[ "$cp_diff" -eq 0 ] || fail "checkpoints differ (position or events_applied: something applied twice)"
zero=$("${PSQL[@]}" -At -c "SELECT count(*) FROM (SELECT 1 FROM accrue.trial_balance GROUP BY tenant, currency HAVING sum(balance) <> 0) x")
[ "$zero" -eq 0 ] || fail "trial balance not zero"
echo "PASS: $MODE"
