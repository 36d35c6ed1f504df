# Shared by the bench scripts (sourced, not run): a work directory removed
# at exit, child processes killed at exit, the release binary, and the small
# helpers every benchmark needs. Loopback only.
#
#   BIN=path        use this binary (no build)
#   SKIP_BUILD=1    use the release binary as built
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
WORK=$(mktemp -d /tmp/tlsdoctor-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

if [ -z "${BIN:-}" ]; then
  [ -n "${SKIP_BUILD:-}" ] || cargo build --release -q -p tlsdoctor
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/tlsdoctor
fi

# CPU time (ms, user + system) process $1 has used so far, from
# /proc/PID/schedstat (nanoseconds on the CPU); 0 once it is gone.
cpu_ms() { awk '{ printf "%d", $1 / 1000000 }' "/proc/$1/schedstat" 2>/dev/null || echo 0; }

# start_nginx PREFIX LISTEN CONNECTIONS: one nginx process (one worker, no
# master, so its PID is the one doing the work) with its files under PREFIX,
# serving $WORK/cert.pem and key.pem on LISTEN (the rest of the `listen`
# directive, e.g. "127.0.0.1:8443 ssl") for up to CONNECTIONS at once.
# Sets NGINX_PID; needs NGINX (the binary).
start_nginx() {
  local prefix=$1 listen=$2 connections=$3
  mkdir -p "$prefix/logs"
  cat >"$prefix/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile $((connections * 2));
events { worker_connections $connections; }
http {
  access_log off;
  client_body_temp_path $prefix; proxy_temp_path $prefix; fastcgi_temp_path $prefix;
  uwsgi_temp_path $prefix; scgi_temp_path $prefix;
  server {
    listen $listen;
    server_name localhost;
    ssl_certificate $WORK/cert.pem;
    ssl_certificate_key $WORK/key.pem;
    location / { return 200 "ok\n"; }
  }
}
EOF
  "$NGINX" -p "$prefix" -c "$prefix/nginx.conf" \
    -g "daemon off; master_process off; pid $prefix/nginx.pid; error_log $prefix/error.log;" \
    </dev/null >/dev/null 2>&1 &
  NGINX_PID=$!
  PIDS+=("$NGINX_PID")
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Waits until something accepts connections on port $1 (up to 10 s).
wait_port() {
  for _ in $(seq 500); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.02; done
  echo "port $1 never opened" >&2
  exit 1
}
# Accepted TCP connections, machine-wide (PassiveOpens in /proc/net/snmp):
# the delta over one run counts that run's connections, provided nothing
# else on the machine accepts connections meanwhile.
conns() { awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "PassiveOpens") c = i; h = 1 } else print $c }' /proc/net/snmp; }
now_ms() { date +%s%3N; }

# Accepted suites as "proto code" lines (code = 4 lowercase hex digits).
suites_tlsdoctor() {
  python3 - "$1" "$ROOT/crates/wire/data/cipher-suites.csv" <<'PY'
import json, sys, csv
rep = json.load(open(sys.argv[1]))
codes = {}
for row in csv.reader(l for l in open(sys.argv[2]) if not l.startswith('#')):
    if row[0] != 'code': codes[row[1]] = row[0][2:].lower()
for proto, p in rep['protocols'].items():
    if proto == 'ssl2': continue
    for s in p['cipher_suites']:
        print(proto, codes.get(s, s))
PY
}
suites_sslyze() {
  python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d['server_scan_results'][0]['scan_result']
m = {'ssl_3_0':'ssl3','tls_1_0':'tls1_0','tls_1_1':'tls1_1','tls_1_2':'tls1_2','tls_1_3':'tls1_3'}
for k, proto in m.items():
    res = (r.get(k + '_cipher_suites') or {}).get('result') or {}
    for a in res.get('accepted_cipher_suites', []):
        print(proto, a['cipher_suite']['name'])
PY
}
suites_sslscan() {
  python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
m = {'SSLv3':'ssl3','TLSv1.0':'tls1_0','TLSv1.1':'tls1_1','TLSv1.2':'tls1_2','TLSv1.3':'tls1_3'}
for c in ET.parse(sys.argv[1]).iter('cipher'):
    if c.get('status') in ('accepted', 'preferred'):
        print(m.get(c.get('sslversion'), c.get('sslversion')), c.get('id', '')[2:].lower().rjust(4, '0'))
PY
}
suites_nmap() {
  python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
m = {'SSLv3':'ssl3','TLSv1.0':'tls1_0','TLSv1.1':'tls1_1','TLSv1.2':'tls1_2','TLSv1.3':'tls1_3'}
for script in ET.parse(sys.argv[1]).iter('script'):
    if script.get('id') != 'ssl-enum-ciphers': continue
    for proto in script.findall('table'):
        for ciphers in proto.findall("table[@key='ciphers']"):
            for c in ciphers.findall('table'):
                for e in c.findall("elem[@key='name']"):
                    print(m.get(proto.get('key'), proto.get('key')), e.text)
PY
}
suites_testssl() {
  python3 - "$1" <<'PY'
import json, sys, re
m = {'ssl3':'ssl3','tls1':'tls1_0','tls1_1':'tls1_1','tls1_2':'tls1_2','tls1_3':'tls1_3'}
for f in json.load(open(sys.argv[1])):
    mm = re.match(r'cipher-(ssl3|tls1_3|tls1_2|tls1_1|tls1)_x([0-9a-f]+)$', f.get('id', ''))
    if mm: print(m[mm.group(1)], mm.group(2).rjust(4, '0'))
PY
}
# sslyze and nmap name suites by IANA name: map them (file $1) to codes.
names_to_codes() {
  python3 - "$ROOT/crates/wire/data/cipher-suites.csv" "$1" <<'PY'
import sys, csv
codes = {}
for row in csv.reader(l for l in open(sys.argv[1]) if not l.startswith('#')):
    if row[0] != 'code': codes[row[1]] = row[0][2:].lower()
for line in open(sys.argv[2]):
    proto, name = line.split()
    # nmap writes TLS 1.3 suites as TLS_AKE_WITH_AES_128_GCM_SHA256.
    name = name.replace('TLS_AKE_WITH_', 'TLS_')
    print(proto, codes.get(name, name))
PY
}


# print_table RESULTS: per (server, tool) min/median/max time, connections,
# peak RSS, the server's CPU time (median, when the script records it) and
# whether the suites equal tlsdoctor's (round by round), then tlsdoctor's
# speed-up over the fastest peer per server.
print_table() {
python3 - "$1" "$WORK" <<'PY'
import sys, statistics, filecmp, os
rows = [l.split() for l in open(sys.argv[1])]
work = sys.argv[2]
servers, tools = [], []
for s, t, *_ in rows:
    if s not in servers: servers.append(s)
    if t not in tools: tools.append(t)
def runs(s, t): return [r for r in rows if r[0] == s and r[1] == t]
def agree(s, t):
    """Suites equal tlsdoctor's in every round (compared round by round)."""
    if t == 'tlsdoctor': return 'reference'
    diffs, n = 0, 0
    for r in runs(s, t):
        mine = os.path.join(work, f'{s}.tlsdoctor.{r[2]}.suites')
        theirs = os.path.join(work, f'{s}.{t}.{r[2]}.suites')
        if not os.path.exists(mine): continue
        n = sum(1 for _ in open(mine))
        if not filecmp.cmp(mine, theirs, shallow=False):
            a, b = set(open(mine)), set(open(theirs))
            return 'NO: tlsdoctor only: %s; %s only: %s' % (
                ' '.join(sorted(x.strip().replace(' ', ':') for x in a - b)[:6]) or '-', t,
                ' '.join(sorted(x.strip().replace(' ', ':') for x in b - a)[:6]) or '-')
    return f'yes ({n} suites)'
print(f'{"server":<16} {"tool":<10} {"min_ms":>7} {"median":>7} {"max_ms":>7} {"conns":>6} {"rss_kib":>8} {"srv_cpu":>7}  suites equal tlsdoctor\'s')
for s in servers:
    for t in tools:
        rs = runs(s, t)
        if not rs: continue
        ms = [int(r[3]) for r in rs]
        conns = statistics.median(int(r[4]) for r in rs)
        rss = rs[0][5]
        cpu = [int(r[6]) for r in rs if len(r) > 6]
        cpu = f'{statistics.median(cpu):.0f}' if cpu else '-'
        print(f'{s:<16} {t:<10} {min(ms):>7} {statistics.median(ms):>7.0f} {max(ms):>7} {conns:>6.0f} {rss:>8} {cpu:>7}  {agree(s, t)}')
print()
print('speed-up = fastest peer\'s time / tlsdoctor\'s time, per round (same round, same server)')
print(f'{"server":<16} {"fastest peer":<12} {"median":>7} {"min":>7} {"max":>7}')
for s in servers:
    peers = [t for t in tools if t != 'tlsdoctor' and runs(s, t)]
    if not peers or not runs(s, 'tlsdoctor'): continue
    fastest = min(peers, key=lambda t: statistics.median(int(r[3]) for r in runs(s, t)))
    mine = {r[2]: int(r[3]) for r in runs(s, 'tlsdoctor')}
    ratios = [int(r[3]) / max(mine[r[2]], 1) for r in runs(s, fastest) if r[2] in mine]
    print(f'{s:<16} {fastest:<12} {statistics.median(ratios):>6.1f}x {min(ratios):>6.1f}x {max(ratios):>6.1f}x')
PY
}

# Whether a tool is installed (testssl.sh under either name).
tool_available() {
  case $1 in
    tlsdoctor) true ;;
    testssl) command -v testssl >/dev/null || command -v testssl.sh >/dev/null ;;
    *) command -v "$1" >/dev/null ;;
  esac
}

# Every round runs every available tool once against every available
# server (the script's server_available and run_tool), then says so.
run_rounds() {
  for round in $(seq "$ROUNDS"); do
    for server in $SERVERS; do
      server_available "$server" || continue
      for tool in $TOOLS; do
        tool_available "$tool" || continue
        run_tool "$tool" "$server" "$round"
      done
    done
    echo "round $round of $ROUNDS done" >&2
  done
}
