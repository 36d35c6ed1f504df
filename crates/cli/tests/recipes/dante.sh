#!/bin/bash
# usage: dante.sh WORKDIR PORT open|auth
#   open  SOCKS5 without authentication (method 00)
#   auth  SOCKS5 username/password (method 02) checked against the system
#         account tlsdiag-socks / socks-pass (created by install.sh)
# danted on 127.0.0.1:PORT, outgoing via lo. Prints the danted (mother) PID.
set -eu
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
  kill -0 $PID 2>/dev/null || { cat "$W/server.log" "$W/danted.log" >&2; exit 1; }
  (exec 3<>/dev/tcp/127.0.0.1/$P) 2>/dev/null && { echo $PID; exit 0; }
  sleep 0.1
done
echo "timeout waiting for port $P" >&2; "$W/stop.sh"; exit 1
