#!/usr/bin/env bash
# Benchmark of `tlsdoctor diagnose` over the lab: runs the demo N times (each
# run starts the lab and diagnoses every server concurrently) and prints, per
# lab server, the median wall time of its diagnosis and its connection count.
#
#   bench/diagnose.sh [RUNS]        (default 11 runs)
#
# Everything stays on loopback. The silent and slow-drip servers take exactly
# the probe timeout (--timeout, 2 s here): that is the cost of proving a timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-11}"
cargo build --release -q
bin=target/release/tlsdoctor
[ -x "$bin" ] || bin="${CARGO_TARGET_DIR:-target}/release/tlsdoctor"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for _ in $(seq "$runs"); do
  "$bin" demo --json --timeout 2 >>"$out" || true
done
python3 - "$out" "$runs" <<'PY'
import json, statistics, sys
rows = {}
order = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["server"] not in rows:
        order.append(r["server"])
    rows.setdefault(r["server"], []).append(r)
print(f"diagnose over the lab: {sys.argv[2]} runs, median per server")
print(f"{'server':<22} {'code':<24} {'median ms':>9} {'conns':>5} {'as expected':>11}")
all_ms = []
for name in order:
    rs = rows[name]
    ms = statistics.median(r["report"]["elapsed_ms"] for r in rs)
    conns = statistics.median(r["report"]["connections"] for r in rs)
    ok = sum(r["passed"] for r in rs)
    code = rs[0]["report"]["diagnoses"][0]["code"] if rs[0]["report"]["diagnoses"] else "ok"
    all_ms.append(ms)
    print(f"{name:<22} {code:<24} {ms:>9.0f} {conns:>5.0f} {ok:>7}/{len(rs)}")
fast = [m for n, m in zip(order, all_ms) if n not in ("silent", "slow-drip")]
print(f"median over servers that answer: {statistics.median(fast):.0f} ms")
PY
