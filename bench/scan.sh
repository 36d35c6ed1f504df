#!/usr/bin/env bash
# Benchmark: `tlsdoctor scan` next to sslscan, sslyze, nmap (ssl-enum-ciphers)
# and testssl.sh (each when installed), in the same rounds, against real
# servers on loopback:
#
#   openssl-default   openssl s_server -www, its defaults (TLS 1.2 + 1.3)
#   openssl-two       s_server, TLS 1.2 only, two suites
#   openssl-all       s_server, TLS 1.0-1.2, ALL:COMPLEMENTOFALL
#   gnutls            gnutls-serv --http, its defaults
#   nginx             nginx, Debian's default TLS settings
#
# Each round runs every tool once against every server (a fresh server, on a
# fresh port, per run). The table prints per (server, tool): wall time
# min/median/max over the rounds, TCP connections, tlsdoctor's peak RSS, and
# whether the tool's accepted suites per protocol equal tlsdoctor's. Then, per
# server, tlsdoctor's speed-up over the fastest peer (the peer's time divided
# by tlsdoctor's: median, and the worst and best round).
#
#   bench/scan.sh                       # 5 rounds, all servers, all tools
#   ROUNDS=3 SERVERS="nginx gnutls" TOOLS="tlsdoctor sslscan" bench/scan.sh
#
# Connections are counted from the kernel's PassiveOpens counter. Loopback
# only (testssl.sh runs with NXCONNECT=127.0.0.1:0).
set -euo pipefail
ROUNDS=${ROUNDS:-5}
TOOLS=${TOOLS:-"tlsdoctor sslscan sslyze nmap testssl"}
SERVERS=${SERVERS:-"openssl-default openssl-two openssl-all gnutls nginx"}
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -addext subjectAltName=DNS:localhost \
  -days 2 -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

declare -A OPENSSL_FLAGS=(
  [openssl-default]=""
  [openssl-two]="-tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA"
  [openssl-all]="-min_protocol TLSv1 -max_protocol TLSv1.2 -cipher ALL:COMPLEMENTOFALL:@SECLEVEL=0"
)

find_program() { command -v "$1" 2>/dev/null || { [ -x "/usr/sbin/$1" ] && echo "/usr/sbin/$1"; } || true; }

# start_server NAME -> sets PORT and SPID
start_server() {
  PORT=$(free_port)
  case $1 in
    openssl-*)
      # shellcheck disable=SC2086
      openssl s_server -accept "127.0.0.1:$PORT" -cert "$WORK/cert.pem" -key "$WORK/key.pem" -www -quiet \
        ${OPENSSL_FLAGS[$1]} </dev/null >/dev/null 2>&1 &
      SPID=$! ;;
    gnutls)
      gnutls-serv --http --x509certfile "$WORK/cert.pem" --x509keyfile "$WORK/key.pem" \
        -p "$PORT" </dev/null >/dev/null 2>&1 &
      SPID=$! ;;
    nginx)
      local prefix=$WORK/nginx.$PORT
      mkdir -p "$prefix/logs"
      cat >"$prefix/nginx.conf" <<EOF
worker_processes 1;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path $prefix; proxy_temp_path $prefix; fastcgi_temp_path $prefix;
  uwsgi_temp_path $prefix; scgi_temp_path $prefix;
  server {
    listen 127.0.0.1:$PORT ssl;
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
      SPID=$! ;;
  esac
  PIDS+=("$SPID")
  wait_port "$PORT"
  sleep 0.1
  BASE=$(conns)
}
stop_server() { kill "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; }

server_available() {
  case $1 in
    gnutls) command -v gnutls-serv >/dev/null ;;
    nginx) NGINX=$(find_program nginx); [ -n "$NGINX" ] ;;
    *) true ;;
  esac
}
tool_available() {
  case $1 in
    tlsdoctor) true ;;
    testssl) command -v testssl >/dev/null || command -v testssl.sh >/dev/null ;;
    *) command -v "$1" >/dev/null ;;
  esac
}

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

# run_tool TOOL SERVER ROUND -> appends "server tool round ms conns rss" to $RESULTS
RESULTS=$WORK/results
run_tool() {
  local tool=$1 server=$2 round=$3
  start_server "$server"
  local out=$WORK/$server.$tool.$round rss=- t0 t1
  t0=$(now_ms)
  case $tool in
    tlsdoctor)
      /usr/bin/time -v -o "$out.time" "$BIN" scan "localhost:$PORT" --connect-to 127.0.0.1 --json >"$out.json" || true
      t1=$(now_ms)
      rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$out.time")
      suites_tlsdoctor "$out.json" | sort >"$out.suites" ;;
    sslyze)
      sslyze --quiet --json_out="$out.json" "localhost:$PORT{127.0.0.1}" >/dev/null 2>&1 || true
      t1=$(now_ms)
      suites_sslyze "$out.json" >"$out.names"
      names_to_codes "$out.names" | sort >"$out.suites" ;;
    sslscan)
      sslscan --no-colour --xml="$out.xml" "127.0.0.1:$PORT" >/dev/null 2>&1 || true
      t1=$(now_ms)
      suites_sslscan "$out.xml" | sort >"$out.suites" ;;
    nmap)
      nmap -Pn -n -p "$PORT" --script ssl-enum-ciphers -oX "$out.xml" 127.0.0.1 >/dev/null 2>&1 || true
      t1=$(now_ms)
      suites_nmap "$out.xml" >"$out.names"
      names_to_codes "$out.names" | sort >"$out.suites" ;;
    testssl)
      local T
      T=$(command -v testssl || command -v testssl.sh)
      NXCONNECT=127.0.0.1:0 "$T" --quiet --warnings off --color 0 -p -E --jsonfile "$out.tjson" \
        --ip 127.0.0.1 "localhost:$PORT" >/dev/null 2>&1 || true
      t1=$(now_ms)
      suites_testssl "$out.tjson" | sort >"$out.suites" ;;
  esac
  sleep 0.2
  local n=$(( $(conns) - BASE ))
  stop_server
  echo "$server $tool $round $((t1 - t0)) $n $rss" >>"$RESULTS"
}

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

python3 - "$RESULTS" "$WORK" <<'PY'
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
print(f'{"server":<16} {"tool":<10} {"min_ms":>7} {"median":>7} {"max_ms":>7} {"conns":>6} {"rss_kib":>8}  suites equal tlsdoctor\'s')
for s in servers:
    for t in tools:
        rs = runs(s, t)
        if not rs: continue
        ms = [int(r[3]) for r in rs]
        conns = statistics.median(int(r[4]) for r in rs)
        rss = rs[0][5]
        print(f'{s:<16} {t:<10} {min(ms):>7} {statistics.median(ms):>7.0f} {max(ms):>7} {conns:>6.0f} {rss:>8}  {agree(s, t)}')
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
