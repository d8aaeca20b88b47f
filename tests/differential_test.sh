#!/usr/bin/env bash
# Differential test: random command streams through `accrue post` + `accrue inspect`
# against the independent reference model (tests/reference/model.py). For every seed:
# results must agree on idempotency_key, status, error.code, error.field and replayed, and every
# account's state must be equal as parsed JSON (scenarios' comparison rule).
#
#   tests/differential_test.sh ACCRUE_BINARY COMMANDS SEED...
#
# A mismatch prints the first differing command or JSON paths, keeps the stream in
# $TMPDIR for a repro, and exits 1. Exit 2 on a usage or environment error.
set -euo pipefail
if [ $# -lt 3 ]; then echo "usage: $0 ACCRUE_BINARY COMMANDS SEED..." >&2; exit 2; fi
ACCRUE=$1; COMMANDS=$2; shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
REF=$HERE/reference
command -v python3 >/dev/null || { echo "differential_test: python3 is missing (run 'make deps')" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/accrue-differential.XXXXXX")
keep=0
cleanup() { [ "$keep" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT

failed=0
for seed in "$@"; do
  dir=$WORK/seed-$seed
  mkdir -p "$dir"
  python3 "$REF/gen.py" "$seed" --commands "$COMMANDS" > "$dir/stream.jsonl"
  python3 "$REF/model.py" "$dir/stream.jsonl" "$dir/model-results.jsonl" "$dir/model-states.json"
  rc=0
  "$ACCRUE" --data "$dir/log" post "$dir/stream.jsonl" > "$dir/results.jsonl" 2> "$dir/post.stderr" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
    echo "seed $seed: accrue post exited $rc: $(tail -c 400 "$dir/post.stderr")"
    failed=1; keep=1; continue
  fi
  # Every account the model knows, as `accrue inspect` prints it.
  python3 - "$ACCRUE" "$dir/log" "$dir/model-states.json" "$dir/states.json" <<'PY'
import json, subprocess, sys
accrue, log, model_states, out = sys.argv[1:5]
states = {}
for account in json.load(open(model_states)):
    run = subprocess.run([accrue, "--data", log, "inspect", "account", account],
                         capture_output=True, text=True)
    states[account] = json.loads(run.stdout) if run.stdout.strip() else None
json.dump(states, open(out, "w"))
PY
  if python3 "$REF/compare.py" "$dir/model-results.jsonl" "$dir/model-states.json" \
       "$dir/results.jsonl" "$dir/states.json" > "$dir/compare.txt"; then
    echo "seed $seed: $(wc -l < "$dir/results.jsonl") commands: accrue equals the reference model"
  else
    echo "seed $seed: MISMATCH (stream kept in $dir)"
    head -20 "$dir/compare.txt"
    failed=1; keep=1
  fi
done
exit $failed
