#!/bin/bash
# usage: slapd.sh WORKDIR PORT CERT.pem KEY.pem tls|notls
# OpenLDAP slapd on ldap://127.0.0.1:PORT/ with a slapd.conf in WORKDIR.
# One mdb database dc=example,dc=test, rootdn cn=admin,dc=example,dc=test / secret.
# Prints the slapd PID.
set -eu
W=$(realpath "$1"); P=$2; CERT=$3; KEY=$4; MODE=$5
mkdir -p "$W/db"
install -m 0644 "$CERT" "$W/cert.pem"
install -m 0600 "$KEY" "$W/key.pem"    # slapd stays root (no -u), so root-owned is fine
TLS=""
[ "$MODE" = tls ] && TLS="TLSCertificateFile $W/cert.pem
TLSCertificateKeyFile $W/key.pem"
cat >"$W/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
pidfile $W/slapd.pid
argsfile $W/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
$TLS
database mdb
maxsize 10485760
suffix "dc=example,dc=test"
rootdn "cn=admin,dc=example,dc=test"
rootpw secret
directory $W/db
CONF
# -d keeps slapd in the foreground (no detach); level 0 = quiet
setsid slapd -f "$W/slapd.conf" -h "ldap://127.0.0.1:$P/" -d 0 >"$W/server.log" 2>&1 </dev/null &
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
  kill -0 $PID 2>/dev/null || { cat "$W/server.log" >&2; exit 1; }
  (exec 3<>/dev/tcp/127.0.0.1/$P) 2>/dev/null && { echo $PID; exit 0; }
  sleep 0.1
done
echo "timeout waiting for port $P" >&2; "$W/stop.sh"; exit 1
