#!/usr/bin/env bash
# Benchmark: `tlsdoctor scan` over STARTTLS next to sslscan --starttls-* and
# testssl.sh -t (each when installed), in the same rounds, against real
# servers on loopback started from the test recipes (crates/cli/tests/recipes):
#
#   smtp       Exim 4 (STARTTLS on SMTP)
#   imap       Dovecot (IMAP)
#   pop3       Dovecot (POP3)
#   postgres   PostgreSQL (SSLRequest)
#
# Each round runs every tool once against every server (a fresh server per
# run). The table is bench/scan.sh's: wall time min/median/max, connections,
# tlsdoctor's peak RSS, whether the accepted suites equal tlsdoctor's, and
# tlsdoctor's speed-up over the fastest peer. testssl.sh runs `-t PROTO -p -E`
# (protocols and each protocol's suites, as in bench/scan.sh) with
# NXCONNECT=127.0.0.1:0.
#
#   ROUNDS=3 bench/starttls.sh
#   SERVERS="smtp imap" TOOLS="tlsdoctor sslscan" bench/starttls.sh
set -euo pipefail
ROUNDS=${ROUNDS:-5}
TOOLS=${TOOLS:-"tlsdoctor sslscan testssl"}
SERVERS=${SERVERS:-"smtp imap pop3 postgres"}
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
RECIPES=$ROOT/crates/cli/tests/recipes

openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -addext subjectAltName=DNS:localhost \
  -days 2 -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
chmod 755 "$WORK"

# start_server NAME -> sets PORT and STOP (the recipe's stop script)
start_server() {
  local dir
  dir=$(mktemp -d "$WORK/server.XXXXXX")
  PORT=$(free_port)
  local second
  second=$(free_port)
  case $1 in
    smtp) bash "$RECIPES/smtp.sh" "$dir" "$PORT" "$WORK/cert.pem" "$WORK/key.pem" tls >/dev/null ;;
    imap) bash "$RECIPES/dovecot.sh" "$dir" "$PORT" "$WORK/cert.pem" "$WORK/key.pem" tls "$second" >/dev/null ;;
    pop3)
      bash "$RECIPES/dovecot.sh" "$dir" "$second" "$WORK/cert.pem" "$WORK/key.pem" tls "$PORT" >/dev/null ;;
    postgres) bash "$RECIPES/postgres.sh" "$dir" "$PORT" "$WORK/cert.pem" "$WORK/key.pem" tls >/dev/null ;;
  esac
  STOP=$dir/stop.sh
  sleep 0.2
  BASE=$(conns)
}
stop_server() { sh "$STOP" >/dev/null 2>&1 || true; }
trap 'stop_server; cleanup' EXIT INT TERM

server_available() {
  case $1 in
    smtp) [ -x /usr/sbin/exim4 ] ;;
    imap | pop3) [ -x /usr/sbin/dovecot ] ;;
    postgres) ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 ;;
  esac
}
# The protocol's name for each tool.
sslscan_option() { case $1 in postgres) echo --starttls-psql ;; *) echo "--starttls-$1" ;; esac; }
testssl_proto() { echo "$1"; }

RESULTS=$WORK/results
run_tool() {
  local tool=$1 server=$2 round=$3
  start_server "$server"
  local out=$WORK/$server.$tool.$round rss=- t0 t1
  t0=$(now_ms)
  case $tool in
    tlsdoctor)
      /usr/bin/time -v -o "$out.time" "$BIN" scan "localhost:$PORT" --connect-to 127.0.0.1 \
        --starttls "$server" --json >"$out.json" || true
      t1=$(now_ms)
      rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$out.time")
      suites_tlsdoctor "$out.json" | sort >"$out.suites" ;;
    sslscan)
      sslscan --no-colour "$(sslscan_option "$server")" --xml="$out.xml" "127.0.0.1:$PORT" >/dev/null 2>&1 || true
      t1=$(now_ms)
      suites_sslscan "$out.xml" | sort >"$out.suites" ;;
    testssl)
      local T
      T=$(command -v testssl || command -v testssl.sh)
      NXCONNECT=127.0.0.1:0 "$T" --quiet --warnings off --color 0 -t "$(testssl_proto "$server")" -p -E \
        --jsonfile "$out.tjson" --ip 127.0.0.1 "localhost:$PORT" >/dev/null 2>&1 || true
      t1=$(now_ms)
      suites_testssl "$out.tjson" | sort >"$out.suites" ;;
  esac
  sleep 0.2
  local n=$(( $(conns) - BASE ))
  stop_server
  echo "$server $tool $round $((t1 - t0)) $n $rss" >>"$RESULTS"
}

run_rounds

print_table "$RESULTS"
