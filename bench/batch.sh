#!/usr/bin/env bash
# Benchmark: `tlsdoctor batch` over a list of N targets (default 10,000)
# served by several TLS servers on loopback, against the handshake ceiling of
# those same servers on this machine, measured in the same run:
#
#   servers    4 nginx (one process each: worker_processes 1, master_process
#              off) and 4 `openssl s_server -www`, each on its own loopback
#              address 127.0.0.1 ... 127.0.0.8, all with one RSA-2048
#              localhost certificate issued by a throw-away CA (--ca-file
#              makes every diagnosis trusted, so statuses should be "ok").
#   list       N lines `localhost:PORT@IP`, round-robin over the servers.
#   ceiling    `openssl s_time -new` against every server at once (one s_time
#              per server, in parallel) for CEILING_SECONDS: the summed new
#              handshakes per second is what these servers can do here.
#              Measured before and after tlsdoctor in every round; the round's
#              ceiling is the mean of the two.
#   tlsdoctor  `batch --depth diagnose` over the whole list, once per
#              --concurrency in CONCURRENCY (--per-host = concurrency, so the
#              per-host limit is never the bottleneck). targets/s = N / wall;
#              handshakes/s = sum of report.connections / wall, compared with
#              the ceiling (goal >= 80 %). Peak RSS from /usr/bin/time -v.
#   memory     while the batch runs, a sampler reads every 50 ms the process's
#              open sockets (socket fds in /proc/PID/fd: every TCP connection
#              it has open or is opening) and VmRSS. KiB per open connection =
#              (peak RSS - peak RSS of a 1-target batch, i.e. the process with
#              nothing in flight) / peak simultaneous sockets (goal <= 64 KiB).
#              It is an upper bound: everything else that grows with the run
#              (result queue, SQLite page cache, allocator slack) is charged to
#              the connections too.
#   peers      the first TESTSSL_SAMPLE targets through `testssl.sh --file
#              --mode parallel` (TESTSSL_OPTS, default -p -S: protocols and
#              server defaults/certificate, a subset of tlsdoctor's scan) next
#              to `tlsdoctor batch --depth scan` on the same sample; the first
#              SSLYZE_SAMPLE targets through `sslyze --certinfo --targets_in`
#              (certificate only) next to `tlsdoctor batch --depth diagnose`.
#              Peer handshakes are counted from the kernel's PassiveOpens.
#
# Each of ROUNDS rounds runs everything once; the table prints the median and
# (min-max) over the rounds.
#
#   bench/batch.sh                                   # 3 rounds, 10,000 targets
#   ROUNDS=1 TARGETS=2000 SKIP_BUILD=1 bench/batch.sh
#   TLSDOCTOR=/path/to/tlsdoctor PEERS="sslyze" CONCURRENCY=128 bench/batch.sh
#
# Loopback only (testssl.sh runs with NXCONNECT=127.0.0.1:0, tlsdoctor with
# --no-fetch). Every server, sampler and temporary file goes at exit or Ctrl-C.
set -euo pipefail
ROUNDS=${ROUNDS:-3}
TARGETS=${TARGETS:-10000}
CONCURRENCY=${CONCURRENCY:-"64 256"}
CEILING_SECONDS=${CEILING_SECONDS:-10}
NGINX_SERVERS=${NGINX_SERVERS:-4}
OPENSSL_SERVERS=${OPENSSL_SERVERS:-4}
PEERS=${PEERS:-"testssl sslyze"}
TESTSSL_SAMPLE=${TESTSSL_SAMPLE:-20}
TESTSSL_OPTS=${TESTSSL_OPTS:-"-p -S"}
SSLYZE_SAMPLE=${SSLYZE_SAMPLE:-400}
# TLSDOCTOR=path is the same as BIN=path: use that binary, build nothing.
if [ -n "${TLSDOCTOR:-}" ]; then BIN=$TLSDOCTOR; fi
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
# common.sh's trap runs cleanup on INT/TERM but then lets the script go on;
# exit instead, so the EXIT trap cleans up once and nothing runs after it.
trap 'exit 130' INT
trap 'exit 143' TERM

RESULTS=$WORK/results
STATUS_LOG=$WORK/status
: >"$RESULTS"

# --- certificates: a throw-away CA and a localhost certificate it signed ---
make_certs() {
  # keyUsage on the CA: sslyze (Python cryptography) rejects a CA without it.
  openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=tlsdoctor-bench-ca -days 30 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
    -keyout "$WORK/key.pem" -out "$WORK/req.pem" 2>/dev/null
  printf '%s\n' subjectAltName=DNS:localhost basicConstraints=CA:FALSE \
    keyUsage=digitalSignature,keyEncipherment extendedKeyUsage=serverAuth >"$WORK/ext.cnf"
  # 365 days: shorter would make every diagnosis a cert_expires_soon warning.
  openssl x509 -req -in "$WORK/req.pem" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
    -CAcreateserial -days 365 -extfile "$WORK/ext.cnf" -out "$WORK/cert.pem" 2>/dev/null
}

# --- servers -------------------------------------------------------------
free_port_on() { python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$1"; }
# wait_addr IP PORT: like common.sh's wait_port, on any loopback address.
wait_addr() {
  for _ in $(seq 500); do (echo >"/dev/tcp/$1/$2") 2>/dev/null && return; sleep 0.02; done
  echo "$1:$2 never opened" >&2
  exit 1
}
find_program() { command -v "$1" 2>/dev/null || { [ -x "/usr/sbin/$1" ] && echo "/usr/sbin/$1"; } || true; }

start_nginx_at() { # IP PORT
  start_nginx "$WORK/nginx.$1" "$1:$2 ssl backlog=4096" 2048
  SERVER_PIDS+=("$NGINX_PID")
}
start_openssl_at() { # IP PORT
  openssl s_server -accept "$1:$2" -cert "$WORK/cert.pem" -key "$WORK/key.pem" -www -quiet \
    </dev/null >/dev/null 2>&1 &
  PIDS+=("$!")
  SERVER_PIDS+=("$!")
}
# CPU time (ms, user + system) the servers have used so far: the delta over
# a measurement, divided by its handshakes, says what one handshake costs the
# servers, next to what it costs the client (from /usr/bin/time).
server_cpu_ms() {
  local p ms=0
  for p in "${SERVER_PIDS[@]}"; do
    ms=$((ms + $(cpu_ms "$p")))
  done
  echo "$ms"
}
# user + system ms from /usr/bin/time -v (or -f '%U %S') outputs.
client_cpu_ms() {
  awk '/User time|System time/ {s += $NF} /^[0-9.]+ [0-9.]+$/ {s += $1 + $2} END {printf "%d\n", s * 1000}' "$@"
}
# Starts every server; SERVERS holds their "IP PORT kind" lines.
SERVERS=()
SERVER_PIDS=()
start_servers() {
  local i=0 kind ip port
  NGINX=$(find_program nginx)
  [ -n "$NGINX" ] || { echo "nginx not found: s_server only" >&2; NGINX_SERVERS=0; }
  for kind in $(printf 'nginx %.0s' $(seq "$NGINX_SERVERS")) $(printf 'openssl %.0s' $(seq "$OPENSSL_SERVERS")); do
    i=$((i + 1)); ip=127.0.0.$i; port=$(free_port_on "$ip")
    "start_${kind}_at" "$ip" "$port"
    SERVERS+=("$ip $port $kind")
  done
  for s in "${SERVERS[@]}"; do
    read -r ip port _ <<<"$s"
    wait_addr "$ip" "$port"
  done
  echo "servers: ${SERVERS[*]/%/;}" >&2
}

# --- target lists --------------------------------------------------------
# make_list FILE N TEMPLATE: N lines round-robin over the servers; @IP@ and
# @PORT@ in TEMPLATE become the server's (tlsdoctor: localhost:@PORT@@@IP@).
make_list() {
  local file=$1 n=$2 template=$3 k s ip port line
  local -a lines=()
  for s in "${SERVERS[@]}"; do
    read -r ip port _ <<<"$s"
    line=${template//@IP@/$ip}
    lines+=("${line//@PORT@/$port}")
  done
  for ((k = 0; k < n; k++)); do echo "${lines[k % ${#lines[@]}]}"; done >"$file"
}

# --- measurements --------------------------------------------------------
# record ROUND TOOL DEPTH TARGETS WALL_MS HANDSHAKES RSS_KIB KIB_PER_CONN
#        SERVER_CPU_MS CLIENT_CPU_MS
record() { local IFS='|'; echo "$*" >>"$RESULTS"; }

# The sampler: follows the child of /usr/bin/time (pid $1) every 50 ms and
# prints "peak_sockets rss_kib_at_that_moment peak_rss_kib samples".
cat >"$WORK/sample.py" <<'PY'
import os, sys, time
tpid = int(sys.argv[1])
pid = None
while pid is None:
    try:
        kids = open(f'/proc/{tpid}/task/{tpid}/children').read().split()
    except OSError:
        print('0 0 0 0'); sys.exit()
    if kids: pid = int(kids[0])
    else: time.sleep(0.005)
peak_socks = rss_at_peak = peak_rss = n = 0
while True:
    try:
        socks = 0
        for fd in os.listdir(f'/proc/{pid}/fd'):
            try:
                if os.readlink(f'/proc/{pid}/fd/{fd}').startswith('socket:'): socks += 1
            except OSError: pass
        rss = 0
        for line in open(f'/proc/{pid}/status'):
            if line.startswith('VmRSS:'): rss = int(line.split()[1])
    except OSError:
        break
    if rss == 0: break  # a zombie: gone
    n += 1
    peak_rss = max(peak_rss, rss)
    if socks > peak_socks: peak_socks, rss_at_peak = socks, rss
    time.sleep(0.05)
print(peak_socks, rss_at_peak, peak_rss, n)
PY

maxrss() { awk -F': ' '/Maximum resident/ {print $2}' "$1"; }

# tlsdoctor_batch ROUND LABEL LIST DEPTH CONCURRENCY: one batch run with a
# fresh store (same list + same store would resume instead of re-running).
# Sets B_WALL_MS B_CONNS B_RSS B_SOCKS.
IDLE_RSS=
tlsdoctor_batch() {
  local round=$1 label=$2 list=$3 depth=$4 c=$5
  local out=$WORK/$round.$label base t0 t1 tpid spid rc=0 n
  n=$(wc -l <"$list")
  rm -f "$out.db" "$out.jsonl"
  base=$(conns)
  B_SCPU=$(server_cpu_ms)
  t0=$(now_ms)
  /usr/bin/time -v -o "$out.time" "$BIN" batch "$list" --db "$out.db" --depth "$depth" \
    --concurrency "$c" --per-host "$c" --ca-file "$WORK/ca.pem" --no-fetch --quiet \
    --out "$out.jsonl" 2>"$out.err" &
  tpid=$!
  PIDS+=("$tpid")
  python3 "$WORK/sample.py" "$tpid" >"$out.mem" &
  spid=$!
  PIDS+=("$spid")
  wait "$tpid" || rc=$?
  t1=$(now_ms)
  wait "$spid" || true
  B_SCPU=$(($(server_cpu_ms) - B_SCPU))
  B_CCPU=$(client_cpu_ms "$out.time")
  [ "$rc" = 0 ] || { echo "tlsdoctor batch exited with $rc; its stderr:" >&2; tail -5 "$out.err" >&2; }
  B_WALL_MS=$((t1 - t0))
  B_RSS=$(maxrss "$out.time")
  read -r B_SOCKS _ _ _ <"$out.mem"
  # Status counts and the connections the diagnoses say they used.
  B_CONNS=$(python3 - "$out.jsonl" "$n" "$((t1 - t0))" "$(($(conns) - base))" "$label" "$B_RSS" "$B_SOCKS" "$B_SCPU" "$B_CCPU" <<'PY' 2>>"$STATUS_LOG"
import json, sys, collections
path, n, ms, passive, label, rss, socks, scpu, ccpu = sys.argv[1:]
status, codes, conns, lines = collections.Counter(), collections.Counter(), 0, 0
try:
    for l in open(path):
        d = json.loads(l); lines += 1
        status[d['status']] += 1
        if d['status'] != 'ok': codes[d['code']] += 1
        conns += (d.get('report') or {}).get('connections') or 0
except FileNotFoundError: pass
st = ' '.join(f'{k} {v}' for k, v in sorted(status.items()))
top = ', '.join(f'{k} {v}' for k, v in codes.most_common(4))
print(f'{label}: {lines}/{n} results in {int(ms)/1000:.1f} s; {st}' + (f' (codes: {top})' if top else '')
      + f'; connections {conns} (kernel PassiveOpens delta {passive}); peak RSS {int(rss)/1024:.1f} MiB; peak sockets {socks}'
      + f'; CPU s: servers {int(scpu)/1000:.1f}, tlsdoctor {int(ccpu)/1000:.1f}',
      file=sys.stderr)
print(conns or passive)
PY
)
  tail -1 "$STATUS_LOG" >&2
}

# A 1-target batch: the RSS of the process with nothing in flight.
measure_idle() {
  make_list "$WORK/one.list" 1 'localhost:@PORT@@@IP@'
  tlsdoctor_batch "$1" idle "$WORK/one.list" diagnose 1
  IDLE_RSS=$B_RSS
}

run_tlsdoctor() { # ROUND LABEL LIST DEPTH CONCURRENCY
  tlsdoctor_batch "$@"
  local per_conn=-
  if [ "${B_SOCKS:-0}" -gt 0 ]; then
    per_conn=$(( (B_RSS - IDLE_RSS) / B_SOCKS ))
  fi
  record "$1" "tlsdoctor c=$5" "$4" "$(wc -l <"$3")" "$B_WALL_MS" "$B_CONNS" "$B_RSS" "$per_conn" "$B_SCPU" "$B_CCPU"
}

# ceiling ROUND: one s_time per server, all at once.
ceiling() {
  local round=$1 pids=() t0 t1 base s ip port total scpu
  rm -f "$WORK"/stime."$round".*
  base=$(conns)
  scpu=$(server_cpu_ms)
  t0=$(now_ms)
  for s in "${SERVERS[@]}"; do
    read -r ip port _ <<<"$s"
    /usr/bin/time -f '%U %S' -o "$WORK/stime.$round.$ip.cpu" \
      openssl s_time -connect "$ip:$port" -new -time "$CEILING_SECONDS" >"$WORK/stime.$round.$ip" 2>&1 </dev/null &
    pids+=("$!")
    PIDS+=("$!")
  done
  wait "${pids[@]}"
  t1=$(now_ms)
  scpu=$(($(server_cpu_ms) - scpu))
  # "N connections in X real seconds" (X is rounded to whole seconds, so the
  # rate uses our own wall clock around all of them).
  total=$(cat "$WORK"/stime."$round".*[0-9] | awk '/connections in .* real seconds/ {n += $1} END {print n + 0}')
  local ccpu
  ccpu=$(client_cpu_ms "$WORK"/stime."$round".*.cpu)
  echo "s_time: $total handshakes in $(((t1 - t0) / 1000)) s over ${#SERVERS[@]} servers (kernel PassiveOpens delta $(($(conns) - base))); CPU s: servers $((scpu / 1000)), s_time $((ccpu / 1000))" >&2
  record "$round" "s_time ceiling" "handshake" "-" "$((t1 - t0))" "$total" "-" "-" "$scpu" "$ccpu"
}

run_sslyze() { # ROUND
  local round=$1 out=$WORK/$1.sslyze base t0 t1 scpu
  make_list "$out.list" "$SSLYZE_SAMPLE" 'localhost:@PORT@{@IP@}'
  base=$(conns)
  scpu=$(server_cpu_ms)
  t0=$(now_ms)
  /usr/bin/time -v -o "$out.time" sslyze --quiet --certinfo --certinfo_ca_file "$WORK/ca.pem" \
    --targets_in "$out.list" --json_out "$out.json" >"$out.log" 2>&1 || true
  t1=$(now_ms)
  python3 - "$out.json" "$SSLYZE_SAMPLE" <<'PY' >&2
import json, sys, collections
try: r = json.load(open(sys.argv[1]))['server_scan_results']
except Exception as e: r = []; print('sslyze: no JSON:', e)
st = collections.Counter(x.get('scan_status') for x in r)
trusted = 0
for x in r:
    ci = ((x.get('scan_result') or {}).get('certificate_info') or {}).get('result') or {}
    for d in ci.get('certificate_deployments', []):
        if any(p.get('was_validation_successful') for p in d.get('path_validation_results', [])): trusted += 1
print(f'sslyze --certinfo: {len(r)}/{sys.argv[2]} results: {dict(st)}; trusted by the CA file: {trusted}')
PY
  record "$round" "sslyze" "certinfo" "$SSLYZE_SAMPLE" "$((t1 - t0))" "$(($(conns) - base))" "$(maxrss "$out.time")" "-" \
    "$(($(server_cpu_ms) - scpu))" "$(client_cpu_ms "$out.time")"
}

run_testssl() { # ROUND
  local round=$1 out=$WORK/$1.testssl base t0 t1 T ndone ok scpu
  T=$(command -v testssl || command -v testssl.sh)
  # --file: one testssl command line per line.
  make_list "$out.list" "$TESTSSL_SAMPLE" '--ip @IP@ localhost:@PORT@'
  base=$(conns)
  scpu=$(server_cpu_ms)
  t0=$(now_ms)
  # shellcheck disable=SC2086
  NXCONNECT=127.0.0.1:0 /usr/bin/time -v -o "$out.time" "$T" --quiet --warnings off --color 0 \
    $TESTSSL_OPTS --add-ca "$WORK/ca.pem" --mode parallel --file "$out.list" >"$out.log" 2>&1 || true
  t1=$(now_ms)
  ndone=$(grep -c '^ *Done 2' "$out.log" || true)
  ok=$(grep -c 'Chain of trust *Ok' "$out.log" || true)
  echo "testssl.sh $TESTSSL_OPTS: $ndone/$TESTSSL_SAMPLE targets done, chain of trust ok: $ok" >&2
  # /usr/bin/time's peak RSS here is the largest single process of testssl's
  # many (bash, openssl): not comparable, so not recorded. Its CPU covers
  # all of them (children are waited for).
  record "$round" "testssl.sh" "$TESTSSL_OPTS" "$TESTSSL_SAMPLE" "$((t1 - t0))" "$(($(conns) - base))" "-" "-" \
    "$(($(server_cpu_ms) - scpu))" "$(client_cpu_ms "$out.time")"
}

peer_available() {
  case $1 in
    testssl) tool_available testssl && command -v dig >/dev/null ;;  # testssl.sh needs a resolver tool
    *) tool_available "$1" ;;
  esac
}

# --- the table -----------------------------------------------------------
print_batch_table() {
  python3 - "$1" <<'PY'
import sys, statistics as st, collections
rows = [l.rstrip('\n').split('|') for l in open(sys.argv[1])]
# The round's ceiling: mean of its s_time runs (before and after).
ceil = collections.defaultdict(list)
for r in rows:
    if r[1] == 's_time ceiling': ceil[r[0]].append(int(r[5]) / (int(r[4]) / 1000))
ceil = {k: st.mean(v) for k, v in ceil.items()}
order, by = [], collections.defaultdict(list)
for r in rows:
    key = (r[1], r[2], r[3])
    if key not in by: order.append(key)
    by[key].append(r)
def fmt(vals, f):
    vals = [v for v in vals if v is not None]
    if not vals: return '-'
    if f == '{:.0f}' and max(vals) < 10: f = '{:.2f}'  # e.g. testssl.sh's targets/s
    m = f.format(st.median(vals))
    return m if len(vals) == 1 else f'{m} ({f.format(min(vals))}-{f.format(max(vals))})'
num = lambda s: None if s == '-' else float(s)
print(f'{"tool":<16} {"depth":<10} {"targets":>7} {"wall s":>18} {"targets/s":>20} {"handshakes/s":>20} {"% of s_time":>16} {"peak RSS MiB":>13} {"KiB/open conn":>14} {"CPU ms/hs srv":>13} {"client":>7}')
for key in order:
    rs = by[key]
    wall = [int(r[4]) / 1000 for r in rs]
    tps = [int(r[3]) / w if r[3] != '-' else None for r, w in zip(rs, wall)]
    hps = [int(r[5]) / w for r, w in zip(rs, wall)]
    pct = [100 * h / ceil[r[0]] if r[0] in ceil else None for r, h in zip(rs, hps)]
    rss = [num(r[6]) / 1024 if num(r[6]) is not None else None for r in rs]
    kpc = [num(r[7]) for r in rs]
    hs = [int(r[5]) or 1 for r in rs]
    scpu = [int(r[8]) / h for r, h in zip(rs, hs)]
    ccpu = [int(r[9]) / h for r, h in zip(rs, hs)]
    print(f'{key[0]:<16} {key[1]:<10} {key[2]:>7} {fmt(wall, "{:.1f}"):>18} {fmt(tps, "{:.0f}"):>20} '
          f'{fmt(hps, "{:.0f}"):>20} {fmt(pct, "{:.0f}"):>16} {fmt(rss, "{:.1f}"):>13} {fmt(kpc, "{:.0f}"):>14} {st.median(scpu):>13.2f} {st.median(ccpu):>7.2f}')
print()
print('% of s_time = handshakes/s / (the same round\'s s_time ceiling, mean of before and after); goals: tlsdoctor >= 80 %,')
print('<= 64 KiB per open connection. KiB/open conn = (peak RSS - RSS of a 1-target batch) / peak open sockets.')
print('CPU ms/hs: CPU time (user + system) per handshake of the 8 servers and of the client tool (median over rounds).')
PY
}

# --- main ----------------------------------------------------------------
make_certs
start_servers
make_list "$WORK/all.list" "$TARGETS" 'localhost:@PORT@@@IP@'
make_list "$WORK/testssl.list" "$TESTSSL_SAMPLE" 'localhost:@PORT@@@IP@'
make_list "$WORK/sslyze.list" "$SSLYZE_SAMPLE" 'localhost:@PORT@@@IP@'
echo "$(nproc) CPUs; $TARGETS targets over ${#SERVERS[@]} servers; $ROUNDS rounds" >&2

for round in $(seq "$ROUNDS"); do
  measure_idle "$round"
  ceiling "$round"
  for c in $CONCURRENCY; do
    run_tlsdoctor "$round" "diagnose.c$c" "$WORK/all.list" diagnose "$c"
  done
  ceiling "$round"
  for peer in $PEERS; do
    if ! peer_available "$peer"; then
      [ "$round" != 1 ] || echo "$peer not installed: skipped" >&2
      continue
    fi
    case $peer in
      testssl)
        run_tlsdoctor "$round" "scan.testssl-sample" "$WORK/testssl.list" scan "$TESTSSL_SAMPLE"
        run_testssl "$round" ;;
      sslyze)
        run_tlsdoctor "$round" "diagnose.sslyze-sample" "$WORK/sslyze.list" diagnose 64
        run_sslyze "$round" ;;
    esac
  done
  echo "round $round of $ROUNDS done" >&2
done

echo
print_batch_table "$RESULTS"
