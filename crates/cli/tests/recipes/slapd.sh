#!/bin/bash
# usage: slapd.sh WORKDIR PORT CERT.pem KEY.pem tls|notls
# OpenLDAP slapd on ldap://127.0.0.1:PORT/ with a slapd.conf in WORKDIR.
# One mdb database dc=example,dc=test, rootdn cn=admin,dc=example,dc=test / secret.
# Prints the slapd PID.
set -eu
. "$(dirname "$0")/lib.sh"
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
write_stop "$W" "$PID" TERM
wait_started "$W" "$PID" "$P" "$W/server.log"
