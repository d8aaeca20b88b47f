#!/usr/bin/env bash
# HTTP load benchmark (issue 7; budgets.md "HTTP"): `accrue serve` on loopback driven
# by wrk. Single-command requests with keep-alive at 16 and 64 connections
# (throughput, p50, p99, p99.9) and batch requests of 1000 commands (commands/s),
# beside the in-process baseline measured in the same run: `accrue post` of the
# same commands from a file. Each figure is the median of RUNS runs, each on a
# fresh log.
#
# Usage: scripts/bench_http.sh [ACCRUE_BINARY] (env: RUNS=3 SECONDS_PER_RUN=5)
set -euo pipefail
ACCRUE=${1:-build/release/accrue}
RUNS=${RUNS:-3}
DURATION=${SECONDS_PER_RUN:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/accrue-bench-http.XXXXXX)
SERVE_PID=""
cleanup() {
  if [[ -n "$SERVE_PID" ]]; then kill -TERM "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }

"$ACCRUE" tokens add --tokens "$WORK/tokens" --tenant bench --scopes write,read > "$WORK/token.out"
export ACCRUE_TOKEN=$(awk '{w=$NF} END {print w}' "$WORK/token.out")

start_serve() {  # $1 = data dir; sets SERVE_PID and PORT
  rm -rf "$1" "$WORK/serve.out"
  "$ACCRUE" serve --data "$1" --tokens "$WORK/tokens" --listen 127.0.0.1:0 --log-format json \
    > "$WORK/serve.out" 2> "$WORK/serve.log" &
  SERVE_PID=$!
  for _ in $(seq 1 200); do
    if grep -q "^listening on" "$WORK/serve.out" 2>/dev/null; then break; fi
    sleep 0.05
  done
  PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$WORK/serve.out")
  for _ in $(seq 1 200); do
    if curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "serve did not become ready" >&2
  exit 2
}
stop_serve() {
  kill -TERM "$SERVE_PID"
  wait "$SERVE_PID" || { echo "serve exited non-zero" >&2; exit 2; }
  SERVE_PID=""
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }

declare -A RESULTS
run_wrk() {  # $1 = label, $2 = connections, $3 = script
  for r in $(seq 1 "$RUNS"); do
    start_serve "$WORK/data"
    ACCRUE_RUN="$1$r" wrk -t2 -c"$2" -d"${DURATION}s" --timeout 10s -s "$HERE/bench_http/$3" \
      "http://127.0.0.1:$PORT" > "$WORK/wrk.out"
    stop_serve
    line=$(grep '^RESULT' "$WORK/wrk.out")
    echo "  $1 run $r: $line"
    RESULTS[$1]+="$line"$'\n'
  done
}

echo "accrue HTTP benchmark: $RUNS runs of ${DURATION}s each, wrk -t2, loopback"
# Baseline: in-process `accrue post` of 100,000 open_account commands.
N=100000
awk -v n=$N 'BEGIN { for (i = 1; i <= n; i++) printf "{\"command\":\"open_account\",\"idempotency_key\":\"p%d\",\"account_id\":\"p%d\",\"currency\":\"USD\"}\n", i, i }' > "$WORK/post.jsonl"
POST_RATES=""
for r in $(seq 1 "$RUNS"); do
  rm -rf "$WORK/post-data"
  t0=$(date +%s.%N)
  "$ACCRUE" post --data "$WORK/post-data" --tenant bench "$WORK/post.jsonl" > /dev/null
  t1=$(date +%s.%N)
  rate=$(echo "$N / ($t1 - $t0)" | bc -l)
  printf "  post run %d: %.0f commands/s\n" "$r" "$rate"
  POST_RATES+="$rate"$'\n'
done
run_wrk single16 16 single.lua
run_wrk single64 64 single.lua
run_wrk batch 4 batch.lua

post=$(printf "%s" "$POST_RATES" | median)
echo
echo "medians of $RUNS runs:"
printf "  in-process post (baseline):   %.0f commands/s\n" "$post"
for label in single16 single64; do
  rps=$(printf "%s" "${RESULTS[$label]}" | field rps | median)
  p50=$(printf "%s" "${RESULTS[$label]}" | field p50_us | median)
  p99=$(printf "%s" "${RESULTS[$label]}" | field p99_us | median)
  p999=$(printf "%s" "${RESULTS[$label]}" | field p999_us | median)
  err=$(printf "%s" "${RESULTS[$label]}" | field errors | median)
  printf "  %-29s %.0f requests/s, p50 %d us, p99 %d us, p99.9 %d us, errors %d\n" "$label (1 command/request):" "$rps" "$p50" "$p99" "$p999" "$err"
done
batch=$(printf "%s" "${RESULTS[batch]}" | field commands_per_s | median)
printf "  %-29s %.0f commands/s (ratio to post: %.2f; budget >= 0.7)\n" "batch (1000/request, 4 conns):" "$batch" "$(echo "$batch / $post" | bc -l)"
