#!/usr/bin/env bash
# Streams at scale: STREAMS concurrent SSE streams held open through one gateway node (each stream
# STREAM_CHUNKS chunks STREAM_INTERVAL_MS apart from a slow-dribbling mock, reopened as soon as it
# ends, from 100 accounts), measured directly against the mock and then through the quickstart on
# PostgreSQL with a 1 GiB heap. Reports failed streams over the whole run (a call the load
# generator gave up on after retrying as the OpenAI SDKs do) and, apart, every retried failure
# (each 503 refusal seen, for instance), the gap between chunks as the
# client sees it (the gateway's p99 gap minus the mock's own is what it adds per chunk), time to
# first byte, the gateway's live heap per held stream (a class histogram taken while every stream
# is open) and its peak RSS. Targets: every stream delivered, heap ≤ 1 GiB (-Xmx1g, no
# OutOfMemoryError), p99 added per chunk ≤ 5 ms. Writes the "Streams at scale" section of
# bench/RESULTS.md.
#
#   bench/streams.sh                          (about 4 minutes after the build)
#
# Environment: STREAMS (10000), STREAM_CHUNKS (20), STREAM_INTERVAL_MS (1000), STREAM_RAMP (seconds
# to open the connections, STREAMS / 1000), BENCH_PREWARM (15; 0: none), WARMUP_STREAMS (STREAMS / 5; 0: none), WARMUP_SECONDS
# (one stream's length), BENCH_DURATION (30), BENCH_TRANSPORTS (first one used:
# jetty-http2), BENCH_SKIP_BUILD=1, GATEWAY_JAVA_OPTS (-Xmx1g), PG_BIN.
#
# Why these choices:
# - One chunk a second, not two: 10,000 streams then make 10,000 chunks a second, each read and
#   written by the mock, the gateway and the load generator on the same two cores (plus 500 calls a
#   second started and settled in PostgreSQL as streams end and reopen); at 500 ms apart the three
#   processes would need the cores for themselves alone. STREAM_INTERVAL_MS=500 runs the faster dribble.
# - The upstream speaks HTTP/2 (transport: jetty-http2, h2c to the mock), as the hosted APIs do:
#   over HTTP/1.1 each stream holds a client socket and an upstream socket, 20,000 descriptors for
#   10,000 streams, and this machine's hard limit is 20,000 per process (root without
#   CAP_SYS_RESOURCE cannot raise it). With BENCH_TRANSPORTS=jetty the gateway needs a limit of
#   about 2 × STREAMS + 500 (LimitNOFILE in a systemd unit, for example).
# - Connections are opened over STREAM_RAMP seconds (the load generator's --ramp-seconds): ten
#   thousand connects at once overflow the accept queue (somaxconn) and SYN retries then take
#   seconds. The warm-up, counted from the end of the ramp, lasts one stream and a few seconds, so
#   the measured window sees streams in their steady state.
# - The gateway is warmed up first: WARMUP_STREAMS (STREAMS / 5) streams through the same route
#   for WARMUP_SECONDS (STREAM_SECONDS), each run to its end, before the ramp. A fresh JVM
#   met the opening wave with its JIT still compiling (C2 at 40 % of the gateway's CPU in a profile
#   right after the ramp), and stream starts queued behind it by seconds. A production node is
#   warm long before it holds ten thousand streams; bench/run.sh prewarms each shape the same way.
#   Before that, BENCH_PREWARM (15) seconds of non-streamed calls at concurrency 32 (answered at
#   once by the mock) take each call's own path (authentication, hold, routing, settlement, call
#   log, JDBC, the servlet's request handling) past the JIT's thresholds: the stream warm-up alone
#   starts only a few thousand calls, and a compilation log (-XX:+LogCompilation) of a run without
#   it showed C2 still compiling that path through the measured window (PgStatement,
#   ServletChannelState, ChatValidation...: ~580 C2 compilations in 30 s). With it, C2 still
#   recompiles ~420 methods in the window, spread thin (the ledger's batches, JDBC, Jetty's client),
#   as the profiles of 10,000 streams differ from the warm-up's: a longer run would settle further.
# - The bench route's whole timeout (timeout-seconds) is three streams' length (60 s for 20 × 1 s),
#   not run.sh's 30 s: it bounds the whole call, stream included, and a 20 s stream whose start a
#   loaded gateway delays by seconds (time to first byte up to 15 s at p99 in the opening wave) ran
#   past 30 s and was cut. Hosted APIs' SDKs allow 600 s for a call.
set -euo pipefail

# shellcheck source=bench/run.sh
source "$(dirname "${BASH_SOURCE[0]}")/run.sh"
STREAMS=${STREAMS:-10000}
STREAM_CHUNKS=${STREAM_CHUNKS:-20}
STREAM_INTERVAL_MS=${STREAM_INTERVAL_MS:-1000}
STREAM_RAMP=${STREAM_RAMP:-$(( (STREAMS + 999) / 1000 ))}
STREAM_SECONDS=$(( (STREAM_CHUNKS * STREAM_INTERVAL_MS + 999) / 1000 ))   # one stream's life
STREAM_WARMUP=$((STREAM_SECONDS + 5))   # from the end of the ramp to the measured window
WARMUP_STREAMS=${WARMUP_STREAMS:-$(( (STREAMS + 4) / 5 ))}
WARMUP_SECONDS=${WARMUP_SECONDS:-$STREAM_SECONDS}
ROUTE_TIMEOUT_SECONDS=$((3 * STREAM_SECONDS))   # read by run.sh's write_catalog
DURATION=${BENCH_DURATION:-30}
TRANSPORT=${BENCH_TRANSPORTS:-jetty-http2}
TRANSPORT=${TRANSPORT%% *}
LOADGEN_JAVA_OPTS="-Xmx1g"
MOCK_JAVA_OPTS="-Xmx1g"

# streams_measure TARGET BASE KEYS [PID]: one run of STREAMS held-open streams, appended to
# $RESULTS. With PID (the gateway's), takes a class histogram of its heap once every stream is open.
streams_measure() {
  local target=$1 base=$2 keys=$3 pid=${4:-}
  local body='{"model":"bench-chat","messages":[{"role":"user","content":"hello"}],"max_tokens":16}'
  local err=$WORK/loadgen-$target.err
  java $LOADGEN_JAVA_OPTS -jar "$BENCH_JAR" load --url "$(chat_url "$base")" --concurrency "$STREAMS" \
    --ramp-seconds "$STREAM_RAMP" --warmup-seconds "$STREAM_WARMUP" --duration-seconds "$DURATION" \
    --keys "$keys" --stream --body "$body" >"$WORK/loadgen-$target.out" 2>"$err" &
  local loadgen=$!
  PIDS+=("$loadgen")
  echo '{}' >"$WORK/heap-$target.json"
  if [[ -n $pid ]]; then
    # Once the ramp is over, every client holds a stream (or is about to reopen one).
    until grep -q "clients started" "$err" 2>/dev/null; do
      kill -0 "$loadgen" 2>/dev/null || break
      sleep 1
    done
    sleep $((STREAM_SECONDS / 2))
    streams_heap "$pid" >"$WORK/heap-$target.json"
  fi
  wait "$loadgen" || die "the load generator failed: $(tail -n 5 "$err")"
  local kept=() p
  for p in "${PIDS[@]}"; do [[ $p == "$loadgen" ]] || kept+=("$p"); done
  PIDS=("${kept[@]}")
  grep -v '^error: ' "$err" | head -n 5 >&2 || true
  local result
  result=$(cat "$WORK/loadgen-$target.out")
  log "  $target -> $result"
  echo "{\"labels\":{\"target\":\"$target\"},\"result\":$result,\"heap\":$(cat "$WORK/heap-$target.json")}" >>"$RESULTS"
}

# streams_heap PID: the live heap (a class histogram forces a full collection) and open descriptors, as JSON.
streams_heap() {
  local pid=$1 histogram
  histogram=$(jcmd "$pid" GC.class_histogram 2>/dev/null) || { echo '{}'; return; }
  echo "$histogram" >"$WORK/histogram-$(date +%s).txt"
  local live fds
  live=$(awk '$1 == "Total" { print $3 }' <<<"$histogram")
  fds=$(ls "/proc/$pid/fd" | wc -l)
  echo "{\"live_heap_bytes\":${live:-0},\"open_fds\":$fds}"
}

streams_report() {
  python3 - "$RESULTS" "$WORK/peak-rss" "$WORK/oom" "$STREAMS" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
runs = {l["labels"]["target"]: l["result"] for l in lines}
heap = {l["labels"]["target"]: l.get("heap", {}) for l in lines}
peak_mb = int(open(sys.argv[2]).read().strip() or 0) / 1024
oom = open(sys.argv[3]).read().strip()
streams = int(sys.argv[4])
print("| target | streams ended in the window | failed streams (whole run) | retried tries (whole run) | chunk gap p50 / p99 / max ms | TTFB p50 / p99 ms | whole stream p50 / p99 ms |")
print("|---|---:|---:|---:|---:|---:|---:|")
for name, label in (("direct", "direct to the mock"), ("gateway", "through apimodels")):
    r = runs[name]
    failed = r.get("total_errors", r["errors"])
    kinds = (" " + json.dumps(r["total_error_kinds"])) if r.get("total_error_kinds") else ""
    retried = r.get("retried", 0)
    retried_kinds = (" " + json.dumps(r["retried_kinds"])) if retried else ""
    print(f"| {label} | {r['requests']:,} | {failed}{kinds} | {retried}{retried_kinds} | {r['chunk_gap_p50_ms']:.2f} / {r['chunk_gap_p99_ms']:.2f} / {r['chunk_gap_max_ms']:.2f} "
          f"| {r['ttfb_p50_ms']:.2f} / {r['ttfb_p99_ms']:.2f} | {r['p50_ms']:.0f} / {r['p99_ms']:.0f} |")
g = runs["gateway"]
added = g["chunk_gap_p99_ms"] - runs["direct"]["chunk_gap_p99_ms"]
failed = g.get("total_errors", g["errors"])
ok = failed == 0 and g["requests"] > 0 and added <= 5 and not oom
live = heap["gateway"].get("live_heap_bytes")
print()
if live:
    print(f"Gateway live heap with every stream open: {live / 2**20:.0f} MiB, {live / streams / 1024:.1f} KiB per stream "
          f"(class histogram, after a full collection); {heap['gateway'].get('open_fds', 0):,} open descriptors.")
print(f"Added per chunk at p99: {added:.2f} ms; gateway peak RSS {peak_mb:.0f} MB with -Xmx1g; "
      f"OutOfMemoryError: {'yes' if oom else 'no'}.")
print(f"Target ({streams:,} streams, all delivered, heap ≤ 1 GiB, p99 added per chunk ≤ 5 ms): **{'PASS' if ok else 'FAIL'}**")
PY
}

# streams_open_files: as many descriptors as allowed (without CAP_SYS_RESOURCE the hard limit is
# the most a shell gets); dies unless a server relaying STREAMS streams over TRANSPORT gets enough.
streams_open_files() {
  ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  local need=$((STREAMS + 500))
  [[ $TRANSPORT == jetty-http2 ]] || need=$((2 * STREAMS + 500))
  (($(ulimit -n) >= need)) || die "the gateway needs about $need open files with transport $TRANSPORT; the limit here is $(ulimit -n)"
}

# streams_mock: the slow-dribbling mock (STREAM_CHUNKS chunks STREAM_INTERVAL_MS apart) on MOCK_PORT; sets LAST_PID.
streams_mock() {
  require_free_port "$MOCK_PORT"
  start_process mock java $MOCK_JAVA_OPTS -jar "$BENCH_JAR" mock --port "$MOCK_PORT" \
    --chunks "$STREAM_CHUNKS" --chunk-interval-ms "$STREAM_INTERVAL_MS"
  wait_ready "http://127.0.0.1:$MOCK_PORT/v1/models" "$LAST_PID" mock 30
}

streams_main() {
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
  streams_open_files
  if [[ ${BENCH_SKIP_BUILD:-} != 1 ]]; then
    log "building"
    (cd "$ROOT" && mvn -q -DskipTests package -pl samples/quickstart,bench -am)
  fi
  streams_mock

  log "$STREAMS streams direct to the mock"
  streams_measure direct "http://127.0.0.1:$MOCK_PORT" bench

  start_pg
  # Room for every client connection, and for one upstream connection per stream over HTTP/1.1.
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
  if ((PREWARM > 0)); then
    log "warming the call path up: non-streamed calls at concurrency 32 for $PREWARM s"
    DURATION=$PREWARM WARMUP=0 loadgen --url "$(chat_url "$GATEWAY")" --concurrency 32 --keys "$WORK/many.keys" \
      >"$WORK/loadgen-prewarm.out" || die "the call-path warm-up failed"
  fi
  if ((WARMUP_STREAMS > 0)); then
    log "warming the gateway up: $WARMUP_STREAMS streams for $WARMUP_SECONDS s"
    java $LOADGEN_JAVA_OPTS -jar "$BENCH_JAR" load --url "$(chat_url "$GATEWAY")" --concurrency "$WARMUP_STREAMS" \
      --ramp-seconds "$(( (WARMUP_STREAMS + 999) / 1000 ))" --warmup-seconds 0 --duration-seconds "$WARMUP_SECONDS" \
      --keys "$WORK/many.keys" --stream \
      --body '{"model":"bench-chat","messages":[{"role":"user","content":"hello"}],"max_tokens":16}' \
      >"$WORK/loadgen-warmup.out" 2>"$WORK/loadgen-warmup.err" || die "the warm-up failed: $(tail -n 5 "$WORK/loadgen-warmup.err")"
    log "  warm-up -> $(cat "$WORK/loadgen-warmup.out")"
    WARMUP_LINE=$(python3 - "$WORK/loadgen-warmup.out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("- warm-up: {:,} streams delivered, {} failed {}, {} retried tries {}".format(
    r["total_ok"], r["total_errors"], json.dumps(r["total_error_kinds"]), r["retried"], json.dumps(r["retried_kinds"])))
PY
)
  fi
  log "$STREAMS streams through apimodels ($TRANSPORT transport)"
  streams_measure gateway "$GATEWAY" "$WORK/many.keys" "$GATEWAY_PID"
  grep -l "OutOfMemoryError" "$WORK/gateway-$TRANSPORT.log" >"$WORK/oom" 2>/dev/null || true

  local table
  table=$(streams_report)
  echo "$table"
  write_marked_section streams "## Streams at scale

- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none); command: \`STREAMS=$STREAMS STREAM_INTERVAL_MS=$STREAM_INTERVAL_MS BENCH_DURATION=$DURATION BENCH_TRANSPORTS=$TRANSPORT bench/streams.sh\` ($TRANSPORT transport, PostgreSQL, \`$GATEWAY_JAVA_OPTS\`)
- $STREAMS concurrent streams from 100 accounts, each $STREAM_CHUNKS chunks ${STREAM_INTERVAL_MS} ms apart, reopened as each ends, opened over ${STREAM_RAMP} s after a warm-up of ${PREWARM} s of non-streamed calls (c=32) and then $WARMUP_STREAMS streams for $WARMUP_SECONDS s; route timeout ${ROUTE_TIMEOUT_SECONDS} s; the load generator retries as the OpenAI SDKs do (2 retries, Retry-After or backoff); every call held, settled and logged; upstream over $( [[ $TRANSPORT == jetty-http2 ]] && echo 'HTTP/2 (h2c)' || echo 'HTTP/1.1')
${WARMUP_LINE:+$WARMUP_LINE
}- machine: $(nproc) cores shared by the load generator, the mock, the gateway and PostgreSQL; load average (1, 5, 15 min) at the start: $LOAD_AT_START, at the end: $(cut -d' ' -f1-3 /proc/loadavg)

$table"
  log "wrote the streams section of bench/RESULTS.md"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then streams_main "$@"; fi
