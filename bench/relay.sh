#!/usr/bin/env bash
# The host's ceiling without the engine: the mock alone, then the bare relay (bench jar `relay`:
# an async servlet -> Jetty HttpClient -> mock) on embedded Tomcat 11 and on embedded Jetty 12,
# each measured non-streamed at concurrency 32 and 1 by the bench load generator, in one run.
# Prints one line per measurement; writes nothing.
#
# Environment: BENCH_DURATION (measured seconds, 8), BENCH_WARMUP (3), BENCH_PREWARM (discarded
# seconds per server, 10), RELAY_SERVERS ("tomcat jetty"), RELAY_JAVA_OPTS (-Xmx1g, as the gateway).
# Build first: mvn -pl bench -am package -DskipTests. Run it holding the bench lock.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAR=$ROOT/bench/target/apimodels-bench.jar
DURATION=${BENCH_DURATION:-8} WARMUP=${BENCH_WARMUP:-3} PREWARM=${BENCH_PREWARM:-10}
SERVERS=${RELAY_SERVERS:-tomcat jetty}
RELAY_JAVA_OPTS=${RELAY_JAVA_OPTS:--Xmx1g}
MOCK_PORT=18181 RELAY_PORT=18190
PIDS=()
WORK=$(mktemp -d /tmp/apimodels-relay.XXXXXX)   # Tomcat's base directory

cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done; rm -rf "$WORK"; true; }
trap cleanup EXIT

wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2; return 1
}

load() {
  java -Xmx512m -jar "$JAR" load --warmup-seconds "$WARMUP" --duration-seconds "$DURATION" "$@"
}

# measure LABEL URL: c=32 then c=1.
measure() {
  local label=$1 url=$2
  for c in 32 1; do
    printf '%s c=%s %s load=%s\n' "$label" "$c" "$(load --url "$url" --concurrency "$c")" "$(cut -d' ' -f1-3 /proc/loadavg)"
  done
}

java -Xmx256m -jar "$JAR" mock --port "$MOCK_PORT" >/dev/null 2>&1 & PIDS+=($!)
wait_port "$MOCK_PORT"
MOCK=http://127.0.0.1:$MOCK_PORT
DURATION=$PREWARM WARMUP=0 load --url "$MOCK/v1/chat/completions" --concurrency 32 >/dev/null
measure direct "$MOCK/v1/chat/completions"

for server in $SERVERS; do
  # shellcheck disable=SC2086
  java $RELAY_JAVA_OPTS -Djava.io.tmpdir="$WORK" -jar "$JAR" relay --server "$server" --port "$RELAY_PORT" --upstream "$MOCK" >/dev/null 2>&1 &
  pid=$!; PIDS+=("$pid")
  wait_port "$RELAY_PORT"
  url=http://127.0.0.1:$RELAY_PORT/v1/chat/completions
  DURATION=$PREWARM WARMUP=0 load --url "$url" --concurrency 32 >/dev/null
  DURATION=$PREWARM WARMUP=0 load --url "$url" --concurrency 1 >/dev/null
  measure "relay-$server" "$url"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
