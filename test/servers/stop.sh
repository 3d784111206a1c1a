#!/usr/bin/env bash
# Stops the servers test/servers/start.sh started, by the PIDs it recorded (never by name):
# SIGTERM, then SIGKILL after 30 s.   test/servers/stop.sh [cassandra] [kafka]
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
STATE="${SWITCHBOARD_SERVERS_DIR:-$ROOT/.servers}"
targets=("$@")
if ((${#targets[@]} == 0)); then targets=(kafka cassandra); fi
for name in "${targets[@]}"; do
  pidfile="$STATE/$name/pid"
  [[ -f "$pidfile" ]] || continue
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    printf '[servers] %s: stopping pid %s\n' "$name" "$pid"
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      printf '[servers] %s: still running after 30 s, killing pid %s\n' "$name" "$pid"
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  rm -f "$pidfile"
done
