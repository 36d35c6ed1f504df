# Shared by the recipes (sourced): the stop script and the wait for the port.
# The server was started with setsid, so its PID is also its process group.

# write_stop WORKDIR PID SIGNAL: WORKDIR/stop.sh stops the server with SIGNAL
# (SIGKILL after 10 s), then anything left in its process group. An
# exited-but-unreaped (zombie) PID counts as stopped.
write_stop() {
  cat >"$1/stop.sh" <<STOP
#!/bin/sh
kill -$3 $2 2>/dev/null
for i in \$(seq 100); do case "\$(ps -o stat= -p $2)" in ""|Z*) break;; esac; sleep 0.1; done
case "\$(ps -o stat= -p $2)" in ""|Z*) ;; *) kill -KILL $2; sleep 0.2;; esac
kill -KILL -- -$2 2>/dev/null
exit 0
STOP
  chmod +x "$1/stop.sh"
}

# wait_started WORKDIR PID PORT LOG...: prints PID once the port accepts
# connections (10 s at most); shows the logs and fails if the server exits.
wait_started() {
  local w=$1 pid=$2 port=$3
  shift 3
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || { cat "$@" >&2; exit 1; }
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && { echo "$pid"; exit 0; }
    sleep 0.1
  done
  echo "timeout waiting for port $port" >&2
  "$w/stop.sh"
  exit 1
}
