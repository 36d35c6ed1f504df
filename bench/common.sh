# Shared by the bench scripts (sourced, not run): a work directory removed
# at exit, child processes killed at exit, the release binary, and the small
# helpers every benchmark needs. Loopback only.
#
#   BIN=path        use this binary (no build)
#   SKIP_BUILD=1    use the release binary as built
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
WORK=$(mktemp -d /tmp/tlsdoctor-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

if [ -z "${BIN:-}" ]; then
  [ -n "${SKIP_BUILD:-}" ] || cargo build --release -q -p tlsdoctor
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/tlsdoctor
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Waits until something accepts connections on port $1 (up to 10 s).
wait_port() {
  for _ in $(seq 500); do (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.02; done
  echo "port $1 never opened" >&2
  exit 1
}
# Accepted TCP connections, machine-wide (PassiveOpens in /proc/net/snmp):
# the delta over one run counts that run's connections, provided nothing
# else on the machine accepts connections meanwhile.
conns() { awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "PassiveOpens") c = i; h = 1 } else print $c }' /proc/net/snmp; }
now_ms() { date +%s%3N; }
