#!/usr/bin/env bash
# Benchmark: `tlsdoctor scan` against local OpenSSL servers, next to sslyze,
# sslscan and testssl.sh when they are installed. Prints one table row per
# (tool, server): wall time, TCP connections, peak RSS (tlsdoctor), and
# whether the tool's accepted suites per protocol equal tlsdoctor's.
#
#   bench/scan.sh            # all servers, all installed tools
#   TOOLS="tlsdoctor sslscan" bench/scan.sh
#
# Every tool run gets a fresh server on a fresh port. Connections are counted
# from the kernel's PassiveOpens counter. Loopback only.
set -euo pipefail
TOOLS=${TOOLS:-"tlsdoctor sslyze sslscan testssl"}
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -addext subjectAltName=DNS:localhost \
  -days 2 -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

declare -A SERVER_FLAGS=(
  [openssl-default]=""
  [openssl-all]="-min_protocol TLSv1 -max_protocol TLSv1.2 -cipher ALL:COMPLEMENTOFALL:@SECLEVEL=0"
)
SERVERS=${SERVERS:-"openssl-default openssl-all"}


# start_server NAME -> sets PORT and SPID
start_server() {
  PORT=$(free_port)
  # shellcheck disable=SC2086
  openssl s_server -accept "127.0.0.1:$PORT" -cert "$WORK/cert.pem" -key "$WORK/key.pem" -www -quiet \
    ${SERVER_FLAGS[$1]} </dev/null >/dev/null 2>&1 &
  SPID=$!
  PIDS+=("$SPID")
  for _ in $(seq 200); do (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.02; done
  sleep 0.1
  BASE=$(conns)
}
stop_server() { kill "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; }


# Accepted suites as "proto code" lines (code = 4 lowercase hex digits), sorted.
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
        name = a['cipher_suite']['name']
        print(proto, name)
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
suites_testssl() {
  python3 - "$1" <<'PY'
import json, sys, re
m = {'ssl3':'ssl3','tls1':'tls1_0','tls1_1':'tls1_1','tls1_2':'tls1_2','tls1_3':'tls1_3'}
for f in json.load(open(sys.argv[1])):
    mm = re.match(r'cipher-(ssl3|tls1_3|tls1_2|tls1_1|tls1)_x([0-9a-f]+)$', f.get('id', ''))
    if mm: print(m[mm.group(1)], mm.group(2).rjust(4, '0'))
PY
}
# sslyze names suites by IANA name: map them (file $1) to codes like tlsdoctor's.
names_to_codes() {
  python3 - "$ROOT/crates/wire/data/cipher-suites.csv" "$1" <<'PY'
import sys, csv
codes = {}
for row in csv.reader(l for l in open(sys.argv[1]) if not l.startswith('#')):
    if row[0] != 'code': codes[row[1]] = row[0][2:].lower()
for line in open(sys.argv[2]):
    proto, name = line.split()
    print(proto, codes.get(name, name))
PY
}

echo "conns: tlsdoctor prints its own count / the kernel's count"
printf '%-10s %-16s %9s %7s %9s  %s\n' tool server wall_ms conns rss_kib suites_agree
for server in $SERVERS; do
  REF=$WORK/$server.reference.suites
  for tool in $TOOLS; do
    case $tool in
      tlsdoctor) ;;
      sslyze) command -v sslyze >/dev/null || continue ;;
      sslscan) command -v sslscan >/dev/null || continue ;;
      testssl) command -v testssl >/dev/null || command -v testssl.sh >/dev/null || continue ;;
    esac
    start_server "$server"
    out=$WORK/$server.$tool
    rss=n/a
    t0=$(now_ms)
    case $tool in
      tlsdoctor)
        /usr/bin/time -v -o "$out.time" "$BIN" scan "localhost:$PORT" --connect-to 127.0.0.1 --json >"$out.json"
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
      testssl)
        T=$(command -v testssl || command -v testssl.sh)
        NXCONNECT=127.0.0.1:0 "$T" --quiet --warnings off --color 0 -p -E --jsonfile "$out.tjson" \
          --ip 127.0.0.1 "localhost:$PORT" >/dev/null 2>&1 || true
        t1=$(now_ms)
        suites_testssl "$out.tjson" | sort >"$out.suites" ;;
    esac
    sleep 0.2
    n=$(( $(conns) - BASE ))
    if [ "$tool" = tlsdoctor ]; then
      n="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["connections"])' "$out.json")/$n"
      cp "$out.suites" "$REF"
      agree=reference
    elif cmp -s "$out.suites" "$REF"; then
      agree="yes ($(wc -l <"$REF") suites)"
    else
      d=$( (diff "$REF" "$out.suites" || true) | grep '^[<>]' || true)
      agree="NO: $(printf '%s\n' "$d" | wc -l) differences (< tlsdoctor only, > $tool only): $(printf '%s\n' "$d" | head -8 | tr '\n' ' ')"
    fi
    stop_server
    printf '%-10s %-16s %9s %7s %9s  %s\n' "$tool" "$server" "$((t1 - t0))" "$n" "$rss" "$agree"
  done
done
