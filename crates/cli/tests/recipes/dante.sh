#!/bin/bash
# usage: dante.sh WORKDIR PORT open|auth
#   open  SOCKS5 without authentication (method 00)
#   auth  SOCKS5 username/password (method 02) checked against the system
#         account tlsdiag-socks / socks-pass (created by install.sh)
# danted on 127.0.0.1:PORT, outgoing via lo. Prints the danted (mother) PID.
set -eu
. "$(dirname "$0")/lib.sh"
W=$(realpath "$1"); P=$2; MODE=$3
METHOD=none; [ "$MODE" = auth ] && METHOD=username
cat >"$W/danted.conf" <<CONF
logoutput: $W/danted.log
internal: 127.0.0.1 port = $P
external: lo
clientmethod: none
socksmethod: $METHOD
user.privileged: root
user.unprivileged: nobody
client pass {
  from: 127.0.0.0/8 to: 0.0.0.0/0
  log: error
}
socks pass {
  from: 127.0.0.0/8 to: 0.0.0.0/0
  log: error connect
}
CONF
# no -D: stays in the foreground; -N 1: one process of each kind
setsid danted -f "$W/danted.conf" -p "$W/danted.pid" -N 1 >"$W/server.log" 2>&1 </dev/null &
PID=$!
write_stop "$W" "$PID" TERM
wait_started "$W" "$PID" "$P" "$W/server.log" "$W/danted.log"
