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
# min/median/max over the rounds, TCP connections, tlsdoctor's peak RSS, the
# CPU time the server spent answering the tool (srv_cpu, ms: what bounds a
# scan of a one-core server), and whether the tool's accepted suites per
# protocol equal tlsdoctor's. Then, per
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
      start_nginx "$WORK/nginx.$PORT" "127.0.0.1:$PORT ssl" 512
      SPID=$NGINX_PID ;;
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

# run_tool TOOL SERVER ROUND -> appends "server tool round ms conns rss
# server_cpu_ms" to $RESULTS (every server here is one process: the CPU it
# spent answering the tool, where a one-core server's scan time goes)
RESULTS=$WORK/results
run_tool() {
  local tool=$1 server=$2 round=$3
  start_server "$server"
  local out=$WORK/$server.$tool.$round rss=- t0 t1 c0 c1
  c0=$(cpu_ms "$SPID")
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
  c1=$(cpu_ms "$SPID")
  sleep 0.2
  local n=$(( $(conns) - BASE ))
  stop_server
  echo "$server $tool $round $((t1 - t0)) $n $rss $((c1 - c0))" >>"$RESULTS"
}

run_rounds

print_table "$RESULTS"
