#!/bin/bash
# usage: postgres.sh WORKDIR PORT CERT.pem KEY.pem tls|notls
# Starts a throw-away PostgreSQL cluster (as user postgres) on 127.0.0.1:PORT.
# Prints the postmaster PID; WORKDIR/stop.sh stops it (fast shutdown).
set -eu
. "$(dirname "$0")/lib.sh"
W=$(realpath "$1"); P=$2; CERT=$3; KEY=$4; MODE=$5
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
AS_PG="setpriv --reuid=postgres --regid=postgres --init-groups --"
# postgres must be able to reach WORKDIR (e.g. /tmp/x is fine, /root/x is not)
chmod 755 "$W"
$AS_PG test -x "$W" || { echo "postgres cannot traverse $W (a parent dir is not o+x?)" >&2; exit 1; }
mkdir -p "$W/sock" "$W/data"
install -o postgres -g postgres -m 0644 "$CERT" "$W/server.crt"
install -o postgres -g postgres -m 0600 "$KEY" "$W/server.key"
chown postgres:postgres "$W/sock" "$W/data"; chmod 700 "$W/data"
cd "$W"
$AS_PG "$BIN/initdb" -D "$W/data" -A trust -U postgres --no-sync >"$W/initdb.log" 2>&1
SSL=off; [ "$MODE" = tls ] && SSL=on
cat >>"$W/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $P
unix_socket_directories = '$W/sock'
ssl = $SSL
ssl_cert_file = '$W/server.crt'
ssl_key_file = '$W/server.key'
fsync = off
CONF
setsid $AS_PG "$BIN/postgres" -D "$W/data" >"$W/server.log" 2>&1 </dev/null &
PID=$!
write_stop "$W" "$PID" INT
wait_started "$W" "$PID" "$P" "$W/server.log"
