#!/usr/bin/env bash
# The host's ceiling without the engine: the mock alone, then the bare relay (bench jar `relay`:
# an async servlet -> Jetty HttpClient -> mock) on embedded Tomcat 11 and on embedded Jetty 12,
# measured non-streamed at concurrency 32 and 1 by the bench load generator. All servers run side
# by side (idle while another is measured) and are measured in turn, round after round, so that a
# machine whose load drifts during the run weighs on each alike; the summary gives each one's median.
# Prints one line per measurement, then the summary; writes nothing.
#
# Environment: BENCH_DURATION (measured seconds per round, 5), BENCH_WARMUP (2), BENCH_PREWARM
# (discarded seconds per server and concurrency, 10), RELAY_ROUNDS (3), RELAY_SERVERS ("tomcat
# jetty"; a server may be written tomcat:name=value,... to override the quickstart's Tomcat connector
# properties and compare settings in one run), RELAY_JAVA_OPTS (-Xmx1g, as the gateway's).
# Build first: mvn -pl bench -am package -DskipTests. Run it holding the bench lock.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAR=$ROOT/bench/target/apimodels-bench.jar
DURATION=${BENCH_DURATION:-5} WARMUP=${BENCH_WARMUP:-2} PREWARM=${BENCH_PREWARM:-10}
ROUNDS=${RELAY_ROUNDS:-3}
read -r -a SERVERS <<<"${RELAY_SERVERS:-tomcat jetty}"
RELAY_JAVA_OPTS=${RELAY_JAVA_OPTS:--Xmx1g}
MOCK_PORT=18181 FIRST_RELAY_PORT=18190
PIDS=()
WORK=$(mktemp -d /tmp/apimodels-relay.XXXXXX)   # Tomcat's base directories, the servers' logs, the results

# Every server is stopped, whatever happens: one left behind would keep holding the bench lock it inherited.
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2; return 1
}

load() {
  java -Xmx512m -jar "$JAR" load --warmup-seconds "$WARMUP" --duration-seconds "$DURATION" "$@" 2>/dev/null
}

java -Xmx256m -jar "$JAR" mock --port "$MOCK_PORT" >"$WORK/mock.log" 2>&1 & PIDS+=($!)
wait_port "$MOCK_PORT"
MOCK=http://127.0.0.1:$MOCK_PORT
NAMES=(direct) URLS=("$MOCK/v1/chat/completions")
for i in "${!SERVERS[@]}"; do
  spec=${SERVERS[$i]} port=$((FIRST_RELAY_PORT + i))
  server=${spec%%:*} set_props=""
  [[ $spec == *:* ]] && set_props=${spec#*:}
  # shellcheck disable=SC2086
  java $RELAY_JAVA_OPTS -Djava.io.tmpdir="$WORK" -jar "$JAR" relay --server "$server" --port "$port" --upstream "$MOCK" \
    ${set_props:+--tomcat-set "$set_props"} >"$WORK/relay-$i.log" 2>&1 &
  PIDS+=($!)
  wait_port "$port" || { cat "$WORK/relay-$i.log" >&2; exit 1; }
  NAMES+=("relay-$spec") URLS+=("http://127.0.0.1:$port/v1/chat/completions")
done

for c in 32 1; do
  for i in "${!URLS[@]}"; do
    DURATION=$PREWARM WARMUP=0 load --url "${URLS[$i]}" --concurrency "$c" >/dev/null
  done
  for round in $(seq "$ROUNDS"); do
    for i in "${!URLS[@]}"; do
      result=$(load --url "${URLS[$i]}" --concurrency "$c")
      printf '%s\t%s\t%s\t%s\t%s\n' "${NAMES[$i]}" "$c" "$round" "$result" "$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$WORK/results.tsv"
    done
  done
done

python3 - "$WORK/results.tsv" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, c, _, result, _ = line.rstrip("\n").split("\t")
    runs.setdefault((name, int(c)), []).append(json.loads(result))
print("\nmedian over rounds (errors summed):")
for (name, c), rs in runs.items():
    med = lambda k: statistics.median(r[k] for r in rs)
    print(f"{name:60s} c={c:<3d} {med('rps'):9,.0f} req/s  p50 {med('p50_ms'):.3f} ms  p99 {med('p99_ms'):.2f} ms  errors {sum(r['errors'] for r in rs)}")
PY
