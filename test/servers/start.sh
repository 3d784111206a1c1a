#!/usr/bin/env bash
# Starts the scale-out test servers that this machine cannot install as packages:
#   - Apache Cassandra 5.0 (single node, CQL on 127.0.0.1:9042)   -> flavor = "cassandra"
#   - Apache Kafka 4.1 in KRaft mode (combined broker/controller, 127.0.0.1:9092)
# Both come from Maven Central as ordinary artifacts (test/servers/*/pom.xml), copied once into
# .servers/<name>/lib (git ignores .servers/; later runs reuse it). Each started process is
# recorded by PID in .servers/<name>/pid and stopped by that PID (test/servers/stop.sh); nothing
# is ever killed by name.
#
#   test/servers/start.sh [cassandra] [kafka]     (default: both)
#
# Exits non-zero, saying exactly what failed, when a download or a start fails.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/test/servers"
STATE="${SWITCHBOARD_SERVERS_DIR:-$ROOT/.servers}"
CASSANDRA_PORT="${CASSANDRA_PORT:-9042}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
START_TIMEOUT="${SERVERS_START_TIMEOUT:-180}"

say() { printf '[servers] %s\n' "$*"; }
fail() {
  printf '[servers] FAILED: %s\n' "$*" >&2
  exit 1
}

# True when the PID file names a live process (started by us).
running() {
  local pidfile="$STATE/$1/pid"
  [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Copies the artifact named in test/servers/<name>/pom.xml and its runtime dependencies into
# .servers/<name>/lib once; a marker file records that the copy completed.
fetch() {
  local name="$1" lib="$STATE/$1/lib"
  local stamp
  stamp="$(sha256sum "$HERE/$name/pom.xml" | cut -c1-16)"
  if [[ -f "$lib/.complete-$stamp" ]]; then return; fi
  command -v mvn >/dev/null || fail "$name: Maven (mvn) is not installed"
  command -v java >/dev/null || fail "$name: Java is not installed"
  say "$name: fetching jars from Maven Central into $lib"
  rm -rf "$lib"
  mkdir -p "$lib"
  if ! mvn -q -B -f "$HERE/$name/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$lib" >"$STATE/$name/fetch.log" 2>&1; then
    tail -n 30 "$STATE/$name/fetch.log" >&2
    fail "$name: mvn dependency:copy-dependencies failed (full log: $STATE/$name/fetch.log)"
  fi
  touch "$lib/.complete-$stamp"
}

# Waits until `node test/servers/probe.mjs <kind>` answers (a real CQL query / Kafka metadata
# request), or the process dies, or the timeout passes.
await_ready() {
  local name="$1" pid="$2" started=$SECONDS
  while ((SECONDS - started < START_TIMEOUT)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 40 "$STATE/$name/server.log" >&2 || true
      fail "$name: the process exited during start-up (log: $STATE/$name/server.log)"
    fi
    if node "$HERE/probe.mjs" "$name" >/dev/null 2>&1; then
      say "$name: ready after $((SECONDS - started)) s (pid $pid)"
      return
    fi
    sleep 2
  done
  tail -n 40 "$STATE/$name/server.log" >&2 || true
  fail "$name: not answering after ${START_TIMEOUT} s (log: $STATE/$name/server.log)"
}

# Before starting <name> on <ports...>: returns 1 (start nothing) when our own process is
# already running, and fails when a port is taken by a process these scripts did not start.
ready_to_start() {
  local name="$1"
  shift
  mkdir -p "$STATE/$name"
  if running "$name"; then
    say "$name: already running (pid $(cat "$STATE/$name/pid"))"
    return 1
  fi
  for port in "$@"; do
    if port_open "$port"; then fail "$name: port $port is taken by a process these scripts did not start"; fi
  done
}

start_cassandra() {
  local dir="$STATE/cassandra"
  ready_to_start cassandra "$CASSANDRA_PORT" || return 0
  fetch cassandra
  mkdir -p "$dir/conf" "$dir/data"
  sed -e "s#@DATA@#$dir/data#g" -e "s#@PORT@#$CASSANDRA_PORT#g" \
    "$HERE/cassandra/cassandra.yaml" >"$dir/conf/cassandra.yaml"
  cp "$HERE/cassandra/logback.xml" "$dir/conf/logback.xml"
  local jamm
  jamm="$(ls "$dir/lib"/jamm-*.jar | head -n 1)"
  # JVM options: a small heap for tests, the Java 17 module flags Cassandra 5.0 ships in
  # conf/jvm17-server.options, and start-up shortcuts that are safe for a single test node.
  local -a opts=(
    -Xms768m -Xmx768m -Xss512k -XX:+UseG1GC -XX:+AlwaysPreTouch
    -XX:CICompilerCount=2 -XX:+UseStringDeduplication
    "-javaagent:$jamm"
    -Djdk.attach.allowAttachSelf=true
    --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
    --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
    --add-exports java.base/sun.nio.ch=ALL-UNNAMED
    --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
    --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
    --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
    --add-exports java.sql/java.sql=ALL-UNNAMED
    --add-exports jdk.internal.jvmstat/sun.jvmstat.monitor=ALL-UNNAMED
    --add-opens java.base/java.lang.module=ALL-UNNAMED
    --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
    --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
    --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
    --add-opens java.base/jdk.internal.math=ALL-UNNAMED
    --add-opens java.base/jdk.internal.module=ALL-UNNAMED
    --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
    --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
    --add-opens java.base/sun.nio.ch=ALL-UNNAMED
    --add-opens java.base/java.io=ALL-UNNAMED
    --add-opens java.base/java.nio=ALL-UNNAMED
    --add-opens java.base/java.util.concurrent=ALL-UNNAMED
    --add-opens java.base/java.util=ALL-UNNAMED
    --add-opens java.base/java.util.concurrent.atomic=ALL-UNNAMED
    --add-opens java.base/java.lang=ALL-UNNAMED
    --add-opens java.base/java.math=ALL-UNNAMED
    --add-opens java.base/java.lang.reflect=ALL-UNNAMED
    --add-opens java.base/java.net=ALL-UNNAMED
    "-Dcassandra.config=file://$dir/conf/cassandra.yaml"
    "-Dlogback.configurationFile=$dir/conf/logback.xml"
    "-Dcassandra.logdir=$dir"
    "-Dcassandra.storagedir=$dir/data"
    -Dcassandra-foreground=yes
    -Dcassandra.skip_wait_for_gossip_to_settle=0
    -Dcassandra.ring_delay_ms=0
    # Test node only: system tables are not fsynced and schema changes are not flushed, which
    # makes the suites' CREATE KEYSPACE / CREATE TABLE much faster. Data survives a clean stop.
    -Dcassandra.unsafesystem=true
    -Dcassandra.test.flush_local_schema_changes=false
  )
  say "cassandra: starting on 127.0.0.1:$CASSANDRA_PORT (data in $dir/data)"
  nohup java "${opts[@]}" -cp "$dir/conf:$dir/lib/*" org.apache.cassandra.service.CassandraDaemon \
    >"$dir/server.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  await_ready cassandra "$!"
}

start_kafka() {
  local dir="$STATE/kafka"
  ready_to_start kafka "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" || return 0
  fetch kafka
  mkdir -p "$dir/conf"
  sed -e "s#@DATA@#$dir/data#g" -e "s#@PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
    "$HERE/kafka/server.properties" >"$dir/conf/server.properties"
  cp "$HERE/kafka/log4j2.yaml" "$dir/conf/log4j2.yaml"
  local -a opts=(-Xms512m -Xmx512m -XX:+UseG1GC "-Dlog4j2.configurationFile=$dir/conf/log4j2.yaml" "-Dkafka.logs.dir=$dir")
  local cp="$dir/lib/*"
  # KRaft storage is formatted once; a later start reuses it (topics and offsets survive).
  if [[ ! -f "$dir/data/meta.properties" ]]; then
    local cluster
    cluster="$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)" ||
      fail "kafka: could not generate a cluster id"
    if ! java "${opts[@]}" -cp "$cp" kafka.tools.StorageTool format -t "$cluster" \
      -c "$dir/conf/server.properties" --standalone >"$dir/format.log" 2>&1; then
      cat "$dir/format.log" >&2
      fail "kafka: formatting the KRaft storage failed"
    fi
  fi
  say "kafka: starting on 127.0.0.1:$KAFKA_PORT (KRaft, data in $dir/data)"
  nohup java "${opts[@]}" -cp "$cp" kafka.Kafka "$dir/conf/server.properties" \
    >"$dir/server.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  await_ready kafka "$!"
}

command -v node >/dev/null || fail "node is not installed"
[[ -d "$ROOT/node_modules/cassandra-driver" ]] || fail "run npm install first (the readiness probe uses the project's drivers)"
mkdir -p "$STATE"
targets=("$@")
if ((${#targets[@]} == 0)); then targets=(cassandra kafka); fi
for target in "${targets[@]}"; do
  case "$target" in
    cassandra) start_cassandra ;;
    kafka) start_kafka ;;
    *) fail "unknown server '$target' (expected cassandra or kafka)" ;;
  esac
done
