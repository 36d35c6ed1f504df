#!/usr/bin/env bash
# Fuzz campaign: every target of fuzz/ for SECONDS each (libFuzzer through
# cargo-fuzz, sanitizers off, stable toolchain), one after another, then a
# table of executions and exec/s per target, the total, and any crash found.
#
#   bench/fuzz.sh [SECONDS]          (default 60)
#   JOBS=2 bench/fuzz.sh 600         # two targets at a time
#   TARGETS="ocsp pcap" bench/fuzz.sh 60   # only these targets
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). Corpora live in
# fuzz/corpus/TARGET (kept between runs, not committed); crashes in
# fuzz/artifacts/TARGET.
set -euo pipefail
SECONDS_PER_TARGET=${1:-60}
JOBS=${JOBS:-1}
cd "$(dirname "$0")/../fuzz"
command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2; exit 2; }
cargo fuzz build -s none -O >/dev/null
LOGS=$(mktemp -d /tmp/tlsdoctor-fuzz.XXXXXX)
trap 'rm -rf "$LOGS"' EXIT
targets=${TARGETS:-$(cargo fuzz list)}
run() {
  mkdir -p "corpus/$1"
  cargo fuzz run -s none -O "$1" "corpus/$1" -- -max_total_time="$SECONDS_PER_TARGET" \
    -print_final_stats=1 >"$LOGS/$1.log" 2>&1 || echo "CRASH" >>"$LOGS/$1.log"
}
export -f run
export LOGS SECONDS_PER_TARGET
printf '%s\n' $targets | xargs -P "$JOBS" -I{} bash -c 'run {}'
printf '%-24s %14s %10s  %s\n' target executions exec/s result
total=0
for t in $targets; do
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$LOGS/$t.log" | tail -1)
  rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$LOGS/$t.log" | tail -1)
  result=$(grep -q CRASH "$LOGS/$t.log" && echo "CRASH: see fuzz/artifacts/$t" || echo "no crash")
  total=$(( total + ${execs:-0} ))
  printf '%-24s %14s %10s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$result"
done
printf '%-24s %14s\n' total "$total"
