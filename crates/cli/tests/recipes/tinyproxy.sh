#!/bin/bash
# usage: tinyproxy.sh WORKDIR PORT open|auth|restricted
#   open       CONNECT to any port, no auth
#   auth       same, but Basic auth required: user "user", password "pass"
#   restricted CONNECT only to 443 and 563 (upstream sample-config policy)
# HTTP proxy on 127.0.0.1:PORT. Prints the tinyproxy PID.
set -eu
. "$(dirname "$0")/lib.sh"
W=$(realpath "$1"); P=$2; MODE=$3
chmod 755 "$W"; touch "$W/tinyproxy.log"; chown tinyproxy:tinyproxy "$W/tinyproxy.log"
setpriv --reuid=tinyproxy --regid=tinyproxy --clear-groups test -x "$W" || { echo "user tinyproxy cannot traverse $W (a parent dir is not o+x?)" >&2; exit 1; }
EXTRA=""
[ "$MODE" = auth ] && EXTRA="BasicAuth user pass"
[ "$MODE" = restricted ] && EXTRA="ConnectPort 443
ConnectPort 563"
cat >"$W/tinyproxy.conf" <<CONF
User tinyproxy
Group tinyproxy
Port $P
Listen 127.0.0.1
Timeout 60
LogFile "$W/tinyproxy.log"
LogLevel Info
MaxClients 50
Allow 127.0.0.1
DisableViaHeader Yes
$EXTRA
CONF
# -d: stay in the foreground. No ConnectPort line = all ports allowed.
setsid tinyproxy -d -c "$W/tinyproxy.conf" >"$W/server.log" 2>&1 </dev/null &
PID=$!
write_stop "$W" "$PID" TERM
wait_started "$W" "$PID" "$P" "$W/server.log" "$W/tinyproxy.log"
