#!/usr/bin/env bash
# Benchmark: `tlsdoctor listen` under load. Loopback only.
#
# 1. Handshakes per second: `openssl s_time -new` for SECS seconds (TLS 1.2,
#    then TLS 1.3) against the listener, and against `openssl s_server` for
#    comparison.
# 2. Flood: FLOOD idle connections (a quarter of them stalled inside a record
#    header) held open while a normal client (curl) fetches the report five
#    times; prints each fetch's time and the listener's RSS over time.
#
#   bench/listen.sh                     # release build, SECS=5, FLOOD=10000
#   SECS=2 FLOOD=2000 BIN=target/debug/tlsdoctor bench/listen.sh
set -euo pipefail
SECS=${SECS:-5}
FLOOD=${FLOOD:-10000}
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
# The flood's sockets live in the python helper, the accepted ones in the listener.
NEED=$(( FLOOD + 512 ))
[ "$(ulimit -n)" -ge "$NEED" ] || ulimit -n "$NEED" 2>/dev/null || echo "note: ulimit -n is $(ulimit -n); the flood may be cut short"


# handshakes PORT FLAG -> prints handshakes per wall-clock second
# (`openssl s_time -new`: a full handshake per connection, one process)
handshakes() {
  local n
  n=$(openssl s_time -connect "127.0.0.1:$1" -new -time "$SECS" "$2" 2>/dev/null \
    | sed -n 's/^\([0-9]*\) connections in .*/\1/p' | head -1)
  echo "${n:-0} / $SECS" | bc
}

PORT=$(free_port)
"$BIN" listen --port "$PORT" --dir "$WORK" --json >/dev/null 2>"$WORK/listen.err" &
LPID=$!
PIDS+=("$LPID")
wait_port "$PORT"

openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -addext subjectAltName=DNS:localhost \
  -days 2 -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
SPORT=$(free_port)
openssl s_server -accept "127.0.0.1:$SPORT" -cert "$WORK/cert.pem" -key "$WORK/key.pem" -www -quiet \
  </dev/null >/dev/null 2>&1 &
PIDS+=("$!")
wait_port "$SPORT"

echo "handshakes/s (openssl s_time -new, $SECS s each)"
printf '  %-22s %8s %8s\n' server tls1_2 tls1_3
printf '  %-22s %8s %8s\n' "tlsdoctor listen" "$(handshakes "$PORT" -tls1_2)" "$(handshakes "$PORT" -tls1_3)"
printf '  %-22s %8s %8s\n' "openssl s_server" "$(handshakes "$SPORT" -tls1_2)" "$(handshakes "$SPORT" -tls1_3)"

echo
echo "flood: $FLOOD idle/stalled connections, then 5 curl fetches"
python3 - "$PORT" "$FLOOD" >"$WORK/flood.log" 2>&1 <<'EOF' &
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
held = []
for i in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port))
        if i % 4 == 0:
            s.sendall(b"\x16\x03\x01\x40\x00\x01")
        held.append(s)
    except OSError as e:
        print("stopped at", i, e); break
print("holding", len(held), flush=True)
time.sleep(600)
EOF
FPID=$!
PIDS+=("$FPID")
for _ in $(seq 300); do grep -q holding "$WORK/flood.log" 2>/dev/null && break; sleep 0.1; done
cat "$WORK/flood.log"
for i in 1 2 3 4 5; do
  t=$(curl -s -o /dev/null -w '%{time_total}' --max-time 30 --cacert "$WORK/ca.pem" "https://localhost:$PORT/json" || echo failed)
  rss=$(ps -o rss= -p "$LPID" | tr -d ' ')
  echo "  fetch $i: ${t} s, listener RSS ${rss} KiB"
  sleep 1
done
