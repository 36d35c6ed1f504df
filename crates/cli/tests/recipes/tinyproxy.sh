#!/bin/bash
# usage: tinyproxy.sh WORKDIR PORT open|auth|restricted
#   open       CONNECT to any port, no auth
#   auth       same, but Basic auth required: user "user", password "pass"
#   restricted CONNECT only to 443 and 563 (upstream sample-config policy)
# HTTP proxy on 127.0.0.1:PORT. Prints the tinyproxy PID.
set -eu
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
cat >"$W/stop.sh" <<STOP
#!/bin/sh
# stop the server; an exited-but-unreaped (zombie) PID counts as stopped.
# The server was started with setsid: its PID is also its process-group id.
kill -TERM $PID 2>/dev/null
for i in \$(seq 100); do case "\$(ps -o stat= -p $PID)" in ""|Z*) break;; esac; sleep 0.1; done
case "\$(ps -o stat= -p $PID)" in ""|Z*) ;; *) kill -KILL $PID; sleep 0.2;; esac
kill -KILL -- -$PID 2>/dev/null   # leftovers in its process group (e.g. per-connection children)
exit 0
STOP
chmod +x "$W/stop.sh"
for i in $(seq 100); do
  kill -0 $PID 2>/dev/null || { cat "$W/server.log" "$W/tinyproxy.log" >&2; exit 1; }
  (exec 3<>/dev/tcp/127.0.0.1/$P) 2>/dev/null && { echo $PID; exit 0; }
  sleep 0.1
done
echo "timeout waiting for port $P" >&2; "$W/stop.sh"; exit 1
