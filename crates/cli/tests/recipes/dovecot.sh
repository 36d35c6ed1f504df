#!/bin/bash
# usage: dovecot.sh WORKDIR IMAP_PORT CERT.pem KEY.pem tls|notls POP3_PORT
# One Dovecot instance (imap + pop3, no implicit-TLS listeners) on 127.0.0.1,
# private config/base_dir/logs in WORKDIR. User "test" / password "test".
# Prints the dovecot master PID (SIGTERM stops all its children).
set -eu
. "$(dirname "$0")/lib.sh"
W=$(realpath "$1"); P=$2; CERT=$3; KEY=$4; MODE=$5; P2=$6
chmod 755 "$W"; mkdir -p "$W/home"; chown dovecot:dovecot "$W/home"
setpriv --reuid=dovecot --regid=dovecot --clear-groups test -x "$W" || { echo "user dovecot cannot traverse $W (a parent dir is not o+x?)" >&2; exit 1; }
install -m 0644 "$CERT" "$W/cert.pem"
install -m 0600 "$KEY" "$W/key.pem"    # read by the root master process
echo 'test:{PLAIN}test' >"$W/passwd"
SSL=yes; [ "$MODE" = tls ] || SSL=no
cat >"$W/dovecot.conf" <<CONF
instance_name = dovecot-test-$P
base_dir = $W/run
state_dir = $W/state
log_path = $W/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = $SSL
ssl_cert = <$W/cert.pem
ssl_key = <$W/key.pem
auth_mechanisms = plain
disable_plaintext_auth = no
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = $W/passwd
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=$W/home/%u
}
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imap {
    port = $P
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $P2
  }
  inet_listener pop3s {
    port = 0
  }
}
CONF
setsid dovecot -F -c "$W/dovecot.conf" >"$W/server.log" 2>&1 </dev/null &
PID=$!
write_stop "$W" "$PID" TERM
# Both listeners: the POP3 one first, then wait_started on the IMAP one.
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$P2") 2>/dev/null && break; sleep 0.1; done
wait_started "$W" "$PID" "$P" "$W/server.log" "$W/dovecot.log"
