#!/usr/bin/env bash
# Streams at scale: STREAMS concurrent SSE streams held open through one gateway node (each stream
# STREAM_CHUNKS chunks STREAM_INTERVAL_MS apart from a slow-dribbling mock, reopened as soon as it
# ends, from 100 accounts), measured directly against the mock and then through the quickstart on
# PostgreSQL with a 1 GiB heap. Reports errors, the gap between chunks as the client sees it (the
# gateway's p99 gap minus the mock's own is what it adds per chunk), time to first byte and the
# gateway's peak RSS. Targets: every stream delivered, heap ≤ 1 GiB (-Xmx1g, no
# OutOfMemoryError), p99 added per chunk ≤ 5 ms. Writes the "Streams at scale" section of
# bench/RESULTS.md.
#
#   bench/streams.sh
#
# Environment: STREAMS (10000), STREAM_CHUNKS (20), STREAM_INTERVAL_MS (500), BENCH_DURATION (30),
# BENCH_TRANSPORTS (first one used: jetty), BENCH_SKIP_BUILD=1, GATEWAY_JAVA_OPTS (-Xmx1g), PG_BIN.
# Needs about 3 × STREAMS open files per process pair: the script raises its limit when it may.
set -euo pipefail

# shellcheck source=bench/run.sh
source "$(dirname "${BASH_SOURCE[0]}")/run.sh"
STREAMS=${STREAMS:-10000}
STREAM_CHUNKS=${STREAM_CHUNKS:-20}
STREAM_INTERVAL_MS=${STREAM_INTERVAL_MS:-500}
DURATION=${BENCH_DURATION:-30}
TRANSPORT=${BENCH_TRANSPORTS:-jetty}
TRANSPORT=${TRANSPORT%% *}
LOADGEN_JAVA_OPTS="-Xmx1g"
MOCK_JAVA_OPTS="-Xmx1g"

streams_measure() {
  local target=$1 base=$2 keys=$3
  local body='{"model":"bench-chat","messages":[{"role":"user","content":"hello"}],"max_tokens":16}'
  # The warm-up outlasts the first wave, whose times include opening every connection.
  WARMUP=$((STREAM_CHUNKS * STREAM_INTERVAL_MS / 1000 + 5)) measure "{\"target\":\"$target\"}" \
    --url "$(chat_url "$base")" --concurrency "$STREAMS" --keys "$keys" --stream --body "$body"
}

streams_report() {
  python3 - "$RESULTS" "$WORK/peak-rss" "$WORK/oom" "$STREAMS" <<'PY'
import json, sys
runs = {json.loads(l)["labels"]["target"]: json.loads(l)["result"] for l in open(sys.argv[1])}
peak_mb = int(open(sys.argv[2]).read().strip() or 0) / 1024
oom = open(sys.argv[3]).read().strip()
streams = int(sys.argv[4])
print("| target | streams ended in the window | errors | chunk gap p50 / p99 / max ms | TTFB p50 / p99 ms | whole stream p50 / p99 ms |")
print("|---|---:|---:|---:|---:|---:|")
for name, label in (("direct", "direct to the mock"), ("gateway", "through apimodels")):
    r = runs[name]
    print(f"| {label} | {r['requests']:,} | {r['errors']} | {r['chunk_gap_p50_ms']:.2f} / {r['chunk_gap_p99_ms']:.2f} / {r['chunk_gap_max_ms']:.2f} "
          f"| {r['ttfb_p50_ms']:.2f} / {r['ttfb_p99_ms']:.2f} | {r['p50_ms']:.0f} / {r['p99_ms']:.0f} |")
added = runs["gateway"]["chunk_gap_p99_ms"] - runs["direct"]["chunk_gap_p99_ms"]
ok = runs["gateway"]["errors"] == 0 and added <= 5 and not oom
print()
print(f"Added per chunk at p99: {added:.2f} ms; gateway peak RSS {peak_mb:.0f} MB with -Xmx1g; "
      f"OutOfMemoryError: {'yes' if oom else 'no'}.")
print(f"Target ({streams:,} streams, all delivered, heap ≤ 1 GiB, p99 added per chunk ≤ 5 ms): **{'PASS' if ok else 'FAIL'}**")
PY
}

streams_main() {
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  if [[ ${BENCH_SKIP_BUILD:-} != 1 ]]; then
    log "building"
    (cd "$ROOT" && mvn -q -DskipTests package -pl samples/quickstart,bench -am)
  fi
  require_free_port "$MOCK_PORT"
  start_process mock java $MOCK_JAVA_OPTS -jar "$BENCH_JAR" mock --port "$MOCK_PORT" \
    --chunks "$STREAM_CHUNKS" --chunk-interval-ms "$STREAM_INTERVAL_MS"
  wait_ready "http://127.0.0.1:$MOCK_PORT/v1/models" "$LAST_PID" mock 30

  log "$STREAMS streams direct to the mock"
  streams_measure direct "http://127.0.0.1:$MOCK_PORT" bench

  start_pg
  # One upstream connection per open stream (HTTP/1.1), and room for every client connection.
  export APIMODELS_HTTP_MAX_CONNECTIONS_PER_HOST=$((STREAMS + 1000)) APIMODELS_MAX_CONNECTIONS=$((STREAMS + 1000))
  GATEWAY_CMD="java $GATEWAY_JAVA_OPTS -XX:+ExitOnOutOfMemoryError -jar $QUICKSTART_JAR" start_gateway "$TRANSPORT"
  create_accounts "$ACCOUNTS" "$WORK/many.keys"
  echo 0 >"$WORK/peak-rss"
  ( peak=0
    while kill -0 "$GATEWAY_PID" 2>/dev/null; do
      rss=$(rss_kb "$GATEWAY_PID" || echo 0)
      if ((rss > peak)); then peak=$rss; echo "$peak" >"$WORK/peak-rss"; fi
      sleep 0.5
    done ) &
  PIDS+=("$!")
  log "$STREAMS streams through apimodels ($TRANSPORT transport)"
  streams_measure gateway "$GATEWAY" "$WORK/many.keys"
  grep -l "OutOfMemoryError" "$WORK/gateway-$TRANSPORT.log" >"$WORK/oom" 2>/dev/null || true

  local table
  table=$(streams_report)
  echo "$table"
  write_marked_section streams "## Streams at scale

- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none); command: \`STREAMS=$STREAMS BENCH_DURATION=$DURATION bench/streams.sh\` ($TRANSPORT transport, PostgreSQL, \`$GATEWAY_JAVA_OPTS\`)
- $STREAMS concurrent streams from 100 accounts, each $STREAM_CHUNKS chunks ${STREAM_INTERVAL_MS} ms apart, reopened as each ends; every call held, settled and logged
- machine: $(nproc) cores shared by the load generator, the mock, the gateway and PostgreSQL; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)

$table"
  log "wrote the streams section of bench/RESULTS.md"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then streams_main "$@"; fi
