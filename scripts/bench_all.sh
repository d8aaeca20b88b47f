#!/usr/bin/env bash
# Runs every benchmark of budgets.md on this machine, one after the other, and
# keeps each one's output under OUT_DIR (default: a new /tmp/accrue-bench-all.*):
#   append.txt   `accrue bench append` x RUNS (each row: accrue vs raw RocksDB, ratio)
#   post.txt     `accrue bench post` (usage-heavy and mixed, medians of 3, ratio to raw)
#   load.txt     `accrue bench load` (1,000,000-event account: inspect, restart)
#   billrun.txt  `accrue bench billrun` (10,000 accounts, invoices/s)
#   project.txt  `accrue bench project` x RUNS on a throwaway PostgreSQL (rows/s vs raw COPY)
#   verify.txt   `accrue log verify` of the 1M-event demo log project built, RUNS
#                times with the log in the page cache (events/s)
#   http.txt     scripts/bench_http.sh (wrk on loopback vs in-process post)
# Benchmarks are commands, not tests: nothing here fails because the machine is
# slow. Run it on a quiet machine (`uptime`); figures are medians with their
# baselines measured in the same run (see docs/performance.md).
#
# Usage: scripts/bench_all.sh [OUT_DIR]   (env: ACCRUE=build/release/accrue RUNS=3)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ACCRUE=${ACCRUE:-$HERE/../build/release/accrue}
RUNS=${RUNS:-3}
OUT=${1:-$(mktemp -d /tmp/accrue-bench-all.XXXXXX)}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/accrue-bench-work.XXXXXX)
PG_STATE="$WORK/pg"
cleanup() {
  if [[ -f "$PG_STATE/url" ]]; then bash "$HERE/pgtmp.sh" stop "$PG_STATE" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
step() { echo "== $1 ($(date -u +%H:%M:%S), load: $(cut -d' ' -f1-3 /proc/loadavg))"; }

step "bench append x$RUNS"
for r in $(seq 1 "$RUNS"); do "$ACCRUE" bench append --dir "$WORK"; done | tee "$OUT/append.txt"
step "bench post"
"$ACCRUE" bench post | tee "$OUT/post.txt"
step "bench load"
"$ACCRUE" bench load --dir "$WORK" | tee "$OUT/load.txt"
step "bench billrun"
"$ACCRUE" bench billrun --dir "$WORK" | tee "$OUT/billrun.txt"
step "bench project"
mkdir -p "$PG_STATE"
bash "$HERE/pgtmp.sh" start "$PG_STATE" $$ >/dev/null
# The first run posts the demo log into $WORK/demo-log; the others reuse it.
for r in $(seq 1 "$RUNS"); do
  "$ACCRUE" bench project --pg "$(bash "$HERE/pgtmp.sh" url "$PG_STATE")" --log "$WORK/demo-log"
done | tee "$OUT/project.txt"
bash "$HERE/pgtmp.sh" stop "$PG_STATE" >/dev/null
step "log verify x$RUNS (page cache warm)"
"$ACCRUE" --data "$WORK/demo-log" log verify >/dev/null  # warms the page cache
for r in $(seq 1 "$RUNS"); do
  t0=$(date +%s.%N)
  line=$("$ACCRUE" --data "$WORK/demo-log" log verify)
  t1=$(date +%s.%N)
  events=$(echo "$line" | sed -n 's/^ok: \([0-9]*\) events.*/\1/p')
  printf "run %d: %s events in %.3f s: %.0f events/s\n" "$r" "$events" "$(echo "$t1 - $t0" | bc -l)" \
    "$(echo "$events / ($t1 - $t0)" | bc -l)"
done | tee "$OUT/verify.txt"
# The median run (budgets.md: >= 1,000,000 events/s with the log in the page cache).
sed -n 's/.*: \([0-9]*\) events\/s$/\1/p' "$OUT/verify.txt" | sort -n |
  awk '{ v[NR] = $1 } END { if (NR > 0) printf "median of %d: %d events/s (budget 1000000: %s)\n", NR, v[int((NR + 1) / 2)], (v[int((NR + 1) / 2)] >= 1000000 ? "met" : "NOT met") }' |
  tee -a "$OUT/verify.txt"
step "HTTP (wrk)"
bash "$HERE/bench_http.sh" "$ACCRUE" | tee "$OUT/http.txt"
step "done: $OUT"
