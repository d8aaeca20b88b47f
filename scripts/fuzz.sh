#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 (-fsanitize=fuzzer,address,undefined) in
# build/fuzz and runs each for SECONDS:
#   command_decoder_fuzz  the input edge: JSON line -> command (tests/fuzz/command_decoder_fuzz.cpp).
#                         Seeds: every command line of the scenarios (shared/scenarios or
#                         tests/scenarios, whichever exists) plus a few edge cases.
#   stored_bytes_fuzz     the other side of the disk: damaged envelopes, payloads,
#                         snapshots and record values (tests/fuzz/stored_bytes_fuzz.cpp);
#                         it builds its sound inputs itself from tests/scenarios.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (default 60 s each, both targets)
# New inputs go to build/fuzz/corpus (and corpus-stored), crashes to
# build/fuzz/artifacts/; a crash, a sanitizer report or a failed property is exit 1.
set -euo pipefail

seconds="${1:-60}"
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(command_decoder_fuzz stored_bytes_fuzz)
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${root}/build/fuzz"
corpus="${build}/corpus"
seeds="${build}/seeds"
artifacts="${build}/artifacts/"
# Inputs up to 8 KiB by default (FUZZ_MAX_LEN): lines near the 1 MiB limit only slow
# the search down; json_test covers the large cases. The stored-bytes target reads
# a few header bytes and then 4-byte edits: 512 bytes is already 24 edits and more.
stored_max_len=512

for target in "${targets[@]}"; do
  case "${target}" in
    command_decoder_fuzz | stored_bytes_fuzz) ;;
    *) echo "fuzz.sh: unknown target '${target}' (command_decoder_fuzz, stored_bytes_fuzz)" >&2; exit 2 ;;
  esac
done
command -v clang++-14 >/dev/null || { echo "fuzz.sh: clang++-14 is required (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 2; }

sanitize="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
cmake -S "${root}" -B "${build}" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DACCRUE_FUZZ=ON \
  -DCMAKE_CXX_FLAGS="${sanitize}" -DCMAKE_C_FLAGS="${sanitize}" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "${build}" --target "${targets[@]}" -j"${JOBS:-2}"

mkdir -p "${corpus}" "${seeds}" "${artifacts}"
n=0
for dir in "${root}/tests/scenarios" "${root}/../shared/scenarios" /work/shared/scenarios; do
  [[ -d "${dir}" ]] || continue
  for f in "${dir}"/*.jsonl; do
    [[ "${f}" == *.results.jsonl ]] && continue
    # One seed per line; only the first 200 lines of each file keep the corpus small.
    while IFS= read -r line; do
      printf '%s' "${line}" >"${seeds}/s$((n += 1))"
    done < <(head -n 200 "${f}")
  done
  break
done
printf '%s' '{"a":1e400,"b":-0.0,"c":[{"k":"\u00e9\ud83d\ude00"}],"d":1.50}' >"${seeds}/edge1"
printf '%s' '{"command":"publish_plan","idempotency_key":"k","plan_id":"p","currency":"USD","interval":"year","interval_count":99999999999999999999999,"amount":"0","meters":[{"unit_price":"0","meter":"m"}]}' >"${seeds}/edge2"
for target in "${targets[@]}"; do
  case "${target}" in
    command_decoder_fuzz)
      echo "fuzz.sh: command_decoder_fuzz, ${n} scenario seeds; running ${seconds}s"
      "${build}/tests/command_decoder_fuzz" -max_total_time="${seconds}" -max_len="${FUZZ_MAX_LEN:-8192}" \
        -timeout=10 -rss_limit_mb=2048 -artifact_prefix="${artifacts}" -print_final_stats=1 \
        "${corpus}" "${seeds}"
      ;;
    stored_bytes_fuzz)
      echo "fuzz.sh: stored_bytes_fuzz; running ${seconds}s"
      mkdir -p "${corpus}-stored"
      "${build}/tests/stored_bytes_fuzz" -max_total_time="${seconds}" -max_len="${stored_max_len}" \
        -timeout=10 -rss_limit_mb=2048 -artifact_prefix="${artifacts}" -print_final_stats=1 \
        "${corpus}-stored"
      ;;
  esac
done
