#!/bin/bash
# usage: smtp.sh WORKDIR PORT CERT.pem KEY.pem tls|notls|badkey
#   badkey: STARTTLS offered, but the key is unreadable for Exim (it answers 454)
# Exim4 daemon (foreground -bdf, backgrounded) on 127.0.0.1:PORT with a private
# config (-C) in WORKDIR. Accepts no mail (RCPT denied). Prints the exim PID.
set -eu
. "$(dirname "$0")/lib.sh"
W=$(realpath "$1"); P=$2; CERT=$3; KEY=$4; MODE=$5
EU=Debian-exim
chmod 755 "$W"; mkdir -p "$W/log" "$W/spool"
setpriv --reuid=Debian-exim --regid=Debian-exim --clear-groups test -x "$W" || { echo "user Debian-exim cannot traverse $W (a parent dir is not o+x?)" >&2; exit 1; }
# TLS and logging run as the exim user: it must own these
install -o $EU -g $EU -m 0644 "$CERT" "$W/cert.pem"
if [ "$MODE" = badkey ]; then
  install -o root -g root -m 0600 "$KEY" "$W/key.pem"
else
  install -o $EU -g $EU -m 0600 "$KEY" "$W/key.pem"
fi
chown $EU:$EU "$W/log" "$W/spool"
ADV='*'; [ "$MODE" = notls ] && ADV=''
cat >"$W/exim.conf" <<CONF
primary_hostname = localhost
exim_user = $EU
exim_group = $EU
never_users =
keep_environment =
host_lookup =
rfc1413_hosts =
log_file_path = $W/log/%slog
spool_directory = $W/spool
pid_file_path = $W/exim.pid
local_interfaces = 127.0.0.1
tls_advertise_hosts = $ADV
tls_certificate = $W/cert.pem
tls_privatekey = $W/key.pem
acl_smtp_rcpt = acl_rcpt
# Scanners leave many aborted sessions behind: Exim's default limit of 20
# concurrent sessions answers the next ones 421 (sslscan then gives up).
smtp_accept_max = 0
begin acl
acl_rcpt:
  deny message = no relaying in test server
begin routers
begin transports
CONF
setsid exim4 -C "$W/exim.conf" -bdf -oX "$P" >"$W/server.log" 2>&1 </dev/null &
PID=$!
write_stop "$W" "$PID" TERM
wait_started "$W" "$PID" "$P" "$W/server.log" "$W"/log/*
