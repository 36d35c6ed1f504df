#!/usr/bin/env bash
# Benchmark: `tlsdoctor diagnose` against real servers (nginx and `openssl
# s_server -www`), healthy and failing, next to curl and `openssl s_client`
# in the same rounds. Prints per configuration the median / min / max wall
# time of each tool, tlsdoctor's connection count (its own count and the
# kernel's PassiveOpens delta), its verdict, and the ratio to curl.
#
#   bench/diagnose_real.sh [ROUNDS]      (default 11)
#   SKIP_BUILD=1 bench/diagnose_real.sh
#
# Goal (issue 10): median ≤ 150 ms and ≤ 8 connections on loopback, and no
# step waiting on a fixed timer against a server that answers. Loopback only.
set -euo pipefail
ROUNDS=${1:-11}
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

# A private CA, a healthy leaf for localhost and an expired one (openssl ca
# sets the dates), a client CA for the client-certificate configuration.
pki() {
  cd "$WORK"
  openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=bench root" -days 800 \
    -keyout ca.key -out ca.pem 2>/dev/null
  mkdir -p db && : >db/index && echo 1000 >db/serial
  cat >ca.cnf <<EOF
[ca]
default_ca = d
[d]
database = db/index
serial = db/serial
new_certs_dir = db
certificate = ca.pem
private_key = ca.key
default_md = sha256
policy = p
copy_extensions = copy
unique_subject = no
[p]
commonName = supplied
EOF
  for name in good expired; do
    openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -addext subjectAltName=DNS:localhost \
      -keyout $name.key -out $name.csr 2>/dev/null
  done
  openssl ca -batch -config ca.cnf -in good.csr -out good.pem -days 400 -notext 2>/dev/null
  openssl ca -batch -config ca.cnf -in expired.csr -out expired.pem -notext \
    -startdate 20200101000000Z -enddate 20210101000000Z 2>/dev/null
  cd "$ROOT"
}
pki


# start_nginx_config CONFIG_EXTRA CERT -> PORT, SPID (nginx as packaged: a master and two workers)
start_nginx_config() {
  PORT=$(free_port)
  local dir="$WORK/nginx-$PORT"
  mkdir -p "$dir/logs"
  cat >"$dir/nginx.conf" <<EOF
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $dir; proxy_temp_path $dir; fastcgi_temp_path $dir;
  uwsgi_temp_path $dir; scgi_temp_path $dir;
  server {
    listen 127.0.0.1:$PORT ssl;
    server_name localhost;
    ssl_certificate $WORK/$2.pem;
    ssl_certificate_key $WORK/$2.key;
    $1
    location / { return 200 "ok\n"; }
  }
}
EOF
  nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' 2>/dev/null &
  SPID=$!
  PIDS+=("$SPID")
  wait_port "$PORT"
}

# s_server FLAGS CERT -> PORT, SPID
start_s_server() {
  PORT=$(free_port)
  # shellcheck disable=SC2086
  openssl s_server -accept "127.0.0.1:$PORT" -cert "$WORK/$2.pem" -key "$WORK/$2.key" -www -quiet \
    $1 </dev/null >/dev/null 2>&1 &
  SPID=$!
  PIDS+=("$SPID")
  wait_port "$PORT"
}
stop_server() { kill "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; }

declare -a CONFIGS=(
  "nginx-good|nginx||good"
  "nginx-expired|nginx||expired"
  "nginx-client-cert|nginx|ssl_client_certificate $WORK/ca.pem; ssl_verify_client on;|good"
  "s_server-good|s_server||good"
  "s_server-expired|s_server||expired"
  "s_server-tls1.0-only|s_server|-tls1 -cipher DEFAULT:@SECLEVEL=0|good"
)

RESULTS=$WORK/results.tsv
: >"$RESULTS"
for round in $(seq "$ROUNDS"); do
  for cfg in "${CONFIGS[@]}"; do
    IFS='|' read -r name kind extra cert <<<"$cfg"
    if [ "$kind" = nginx ]; then
      command -v nginx >/dev/null || continue
      start_nginx_config "$extra" "$cert"
    else
      start_s_server "$extra" "$cert"
    fi
    url="https://localhost:$PORT/"
    # tlsdoctor
    before=$(conns)
    t0=$(now_ms)
    "$BIN" diagnose "localhost:$PORT" --ca-file "$WORK/ca.pem" --json --timeout 5 \
      >"$WORK/out.json" 2>/dev/null || true
    t1=$(now_ms)
    kernel=$(( $(conns) - before ))
    read -r verdict code own < <(python3 -c '
import json,sys
r=json.load(open(sys.argv[1]))
d=r["diagnoses"]
print(r["verdict"], d[0]["code"] if d else "ok", r["connections"])' "$WORK/out.json")
    printf '%s\ttlsdoctor\t%s\t%s\t%s\t%s\n' "$name" $((t1 - t0)) "$own/$kernel" "$verdict" "$code" >>"$RESULTS"
    # curl
    t0=$(now_ms)
    curl -sf -o /dev/null --cacert "$WORK/ca.pem" --max-time 5 "$url" && r=ok || r="exit $?"
    t1=$(now_ms)
    printf '%s\tcurl\t%s\t1\t%s\t-\n' "$name" $((t1 - t0)) "$r" >>"$RESULTS"
    # openssl s_client
    t0=$(now_ms)
    echo | timeout 5 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
      -CAfile "$WORK/ca.pem" -verify_return_error >/dev/null 2>&1 && r=ok || r="exit $?"
    t1=$(now_ms)
    printf '%s\ts_client\t%s\t1\t%s\t-\n' "$name" $((t1 - t0)) "$r" >>"$RESULTS"
    stop_server
  done
done

python3 - "$RESULTS" "$ROUNDS" <<'PY'
import statistics, sys
from collections import defaultdict, OrderedDict
rows = OrderedDict()
for line in open(sys.argv[1]):
    name, tool, ms, conns, verdict, code = line.rstrip("\n").split("\t")
    rows.setdefault(name, defaultdict(list))[tool].append((int(ms), conns, verdict, code))
print(f"diagnose against real servers: {sys.argv[2]} rounds; ms as min/median/max")
print(f"{'server':<22} {'tlsdoctor ms':>16} {'conns own/kernel':>16} {'verdict / code':<36} {'curl':<8} {'curl ms':>14} {'s_client ms':>14} {'tlsdoctor/curl':>14}")
for name, tools in rows.items():
    def mmm(tool):
        ms = [r[0] for r in tools[tool]]
        return min(ms), statistics.median(ms), max(ms)
    t = mmm("tlsdoctor"); c = mmm("curl"); s = mmm("s_client")
    first = tools["tlsdoctor"][0]
    ratio = t[1] / c[1] if c[1] else float("nan")
    print(f"{name:<22} {t[0]:>4}/{t[1]:>5.0f}/{t[2]:>5} {first[1]:>16} {first[2]+' / '+first[3]:<36} "
          f"{tools['curl'][0][2]:<8} {c[0]:>3}/{c[1]:>4.0f}/{c[2]:>4} {s[0]:>3}/{s[1]:>4.0f}/{s[2]:>4} {ratio:>13.1f}x")
PY
