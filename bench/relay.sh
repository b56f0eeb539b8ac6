#!/usr/bin/env bash
# The host's ceiling without the engine: the mock alone, then the bare relay (bench jar `relay`:
# an async servlet -> Jetty HttpClient -> mock) on embedded Tomcat 11 and on embedded Jetty 12.
#
#   bench/relay.sh             non-streamed, at concurrency 32 and 1
#   bench/relay.sh --streams   held-open SSE streams: the load of bench/streams.sh
#
# Non-streamed: measured by the bench load generator. All servers run side by side (idle while
# another is measured) and are measured in turn, round after round, so that a machine whose load
# drifts during the run weighs on each alike; the summary gives each one's median. Environment:
# BENCH_DURATION (measured seconds per round, 5), BENCH_WARMUP (2), BENCH_PREWARM (discarded
# seconds per server and concurrency, 10), RELAY_ROUNDS (3).
#
# --streams: bench/streams.sh's own functions and settings (STREAMS held-open streams, each
# STREAM_CHUNKS chunks STREAM_INTERVAL_MS apart, opened over STREAM_RAMP seconds, the same warm-up
# and measured window) against the mock directly, then against each relay in turn, alone, its
# upstream over BENCH_TRANSPORTS (jetty-http2: h2c). Per target: failed streams, chunk gaps (the
# p99 added over direct), TTFB, the live heap per stream (class histogram, after a full collection,
# while every stream is open), and in the measured window the CPU of the server, of the mock and of
# the whole machine, and the server's GC pauses (its -Xlog:gc log). Environment: bench/streams.sh's,
# RELAY_JAVA (the relays' java: `java`), RELAY_JVMS (JVMs to run each server on in turn, instead:
# "label=java options...;label=...", e.g. "g1=java -Xmx1g;zgc=java -Xmx1g -XX:+UseZGC"), RELAY_KEEP
# (a directory to copy logs, GC logs and class histograms to).
#
# Both: RELAY_SERVERS ("tomcat jetty"; a server may be written tomcat:name=value,... to override the
# quickstart's Tomcat connector properties and compare settings in one run), RELAY_JAVA_OPTS
# (-Xmx1g, as the gateway's). Prints one line per measurement, then the summary; writes nothing.
# Build first: mvn -pl bench -am package -DskipTests. Run it holding the bench lock.
set -euo pipefail

if [[ ${1:-} == --streams ]]; then
  # shellcheck source=bench/streams.sh
  source "$(dirname "${BASH_SOURCE[0]}")/streams.sh"
  read -r -a SERVERS <<<"${RELAY_SERVERS:-tomcat jetty}"
  IFS=';' read -r -a JVMS <<<"${RELAY_JVMS:-=${RELAY_JAVA:-java} ${RELAY_JAVA_OPTS:--Xmx1g}}"
  RELAY_PORT=18090

  # relay_window TARGET NAME=PID...: from the end of the load generator's warm-up, for DURATION
  # seconds (its measured window), the cores each process used, the machine's busy cores and how
  # far each process's GC log ($WORK/gc-NAME.log) had got; as JSON in $WORK/window-TARGET.json.
  relay_window() {
    local target=$1; shift
    local deadline=$((SECONDS + STREAM_RAMP + 120))
    until grep -q "clients started" "$WORK/loadgen-$target.err" 2>/dev/null; do
      ((SECONDS < deadline)) || return 0
      sleep 0.2
    done
    sleep "$STREAM_WARMUP"
    local before after
    before=$(relay_ticks "$@")
    sleep "$DURATION"
    after=$(relay_ticks "$@")
    python3 - "$(getconf CLK_TCK)" "$DURATION" "$before" "$after" >"$WORK/window-$target.json" <<'PY'
import json, sys
hz, seconds = int(sys.argv[1]), float(sys.argv[2])
before, after = json.loads(sys.argv[3]), json.loads(sys.argv[4])
print(json.dumps({
    "cores": {name: (after["ticks"][name] - ticks) / hz / seconds for name, ticks in before["ticks"].items()
              if ticks is not None and after["ticks"][name] is not None},  # None: the process had ended
    "machine_busy_cores": (after["busy"] - before["busy"]) / hz / seconds,
    "rss_kb": after["rss_kb"],
    "gc_lines": {name: [line, after["gc_lines"][name]] for name, line in before["gc_lines"].items()},
}))
PY
  }

  # relay_ticks NAME=PID...: each process's CPU ticks, resident memory (KiB) and GC log lines so
  # far, the machine's busy ticks; as JSON.
  relay_ticks() {
    local pair name ticks="" rss="" lines="" busy
    for pair in "$@"; do
      name=${pair%%=*}
      ticks+="\"$name\":$(awk '{ print $14 + $15 }' "/proc/${pair#*=}/stat" 2>/dev/null || echo null),"
      rss+="\"$name\":$(rss_kb "${pair#*=}" 2>/dev/null || echo null),"
      lines+="\"$name\":$(cat "$WORK/gc-$name.log" 2>/dev/null | wc -l),"
    done
    busy=$(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat)
    echo "{\"ticks\":{${ticks%,}},\"rss_kb\":{${rss%,}},\"gc_lines\":{${lines%,}},\"busy\":$busy}"
  }

  # relay_measure TARGET BASE PID NAME=PID...: streams_measure against BASE (a class histogram of
  # PID's heap, unless empty), with relay_window watching the processes NAME=PID beside it.
  relay_measure() {
    local target=$1 base=$2 pid=$3; shift 3
    relay_window "$target" "$@" &
    local window=$!
    streams_measure "$target" "$base" bench "$pid"
    wait "$window" || true
  }

  relay_streams_report() {
    python3 - "$RESULTS" "$WORK" "$STREAMS" <<'PY'
import json, os, re, sys
results, work, streams = sys.argv[1], sys.argv[2], int(sys.argv[3])
PAUSE = re.compile(r"Pause.*?([0-9.]+)ms$")

def window(target):
    path = f"{work}/window-{target}.json"
    return json.loads(open(path).read() or "{}") if os.path.exists(path) else {}

def pauses(target):
    """The server's GC pauses in the measured window (not the class histogram's own collection)."""
    lines = window(target).get("gc_lines", {}).get("server")
    path = f"{work}/gc-{target}.log"
    if not lines or not os.path.exists(path):
        return "—"
    logged = open(path).read().splitlines()[lines[0]:lines[1]]
    ms = [float(m.group(1)) for l in logged if "Heap Inspection" not in l and (m := PAUSE.search(l))]
    stalls = sum("Allocation Stall" in l for l in logged)
    return f"{len(ms)}, {sum(ms):.0f} / {max(ms, default=0):.1f}" + (f"; {stalls} allocation stalls" if stalls else "")

runs = [json.loads(l) for l in open(results)]
direct = next(r["result"] for r in runs if r["labels"]["target"] == "direct")
print("| target | failed streams (whole run) | streams ended in the window | chunk gap p50 / p99 / max ms | p99 added over direct "
      "| TTFB p50 / p99 ms | live heap idle → every stream open (KiB per stream) | server RSS at the window's end | CPU cores in the window: server / mock / machine | GC pauses in the window: count, total / max ms |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for run in runs:
    target, r, heap = run["labels"]["target"], run["result"], run.get("heap", {})
    relay = target != "direct"
    failed = r.get("total_errors", r["errors"])
    kinds = (" " + json.dumps(r["error_kinds"])) if r["error_kinds"] else ""
    added = f"{r['chunk_gap_p99_ms'] - direct['chunk_gap_p99_ms']:+.2f} ms" if relay else ""
    live = heap.get("live_heap_bytes")
    idle_path = f"{work}/idle-{target}.json"
    idle = json.load(open(idle_path)).get("live_heap_bytes", 0) if os.path.exists(idle_path) else 0
    live_text = f"{idle / 2**20:.0f} → {live / 2**20:.0f} MiB ({(live - idle) / streams / 1024:.1f})" if live else "—"
    w = window(target)
    rss = w.get("rss_kb", {}).get("server") if relay else None
    cpu = " / ".join(f"{w['cores'][k]:.2f}" if k in w.get("cores", {}) else "—" for k in ("server", "mock"))
    cpu += f" / {w['machine_busy_cores']:.2f}" if w else " / —"
    oom = relay and "OutOfMemoryError" in open(f"{work}/{target}.log", errors="replace").read()
    print(f"| {target}{' (OutOfMemoryError)' if oom else ''} | {failed:,}{kinds} | {r['requests']:,} "
          f"| {r['chunk_gap_p50_ms']:.2f} / {r['chunk_gap_p99_ms']:.2f} / {r['chunk_gap_max_ms']:.2f} | {added} "
          f"| {r['ttfb_p50_ms']:.2f} / {r['ttfb_p99_ms']:.2f} | {live_text} | {f'{rss / 1024:.0f} MiB' if rss else '—'} | {cpu} | {pauses(target) if relay else '—'} |")
PY
  }

  relay_streams() {
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    local load_at_start
    load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
    streams_open_files
    streams_mock
    local mock=$LAST_PID
    log "$STREAMS streams direct to the mock"
    relay_measure direct "http://127.0.0.1:$MOCK_PORT" "" "mock=$mock"
    local i=0 spec jvm label props port target pid
    for spec in "${SERVERS[@]}"; do
      for jvm in "${JVMS[@]}"; do
        label=${jvm%%=*} jvm=${jvm#*=} props="" port=$((RELAY_PORT + i++)) target=relay-$spec${label:+-$label}
        [[ $spec == *:* ]] && props=${spec#*:}
        require_free_port "$port"
        # shellcheck disable=SC2086  # jvm is a command line: java and its options
        start_process "$target" $jvm -XX:+ExitOnOutOfMemoryError \
          "-Xlog:gc,gc+phases:file=$WORK/gc-$target.log:uptime" -Djava.io.tmpdir="$WORK" -jar "$BENCH_JAR" relay \
          --server "${spec%%:*}" --port "$port" --upstream "http://127.0.0.1:$MOCK_PORT" --transport "$TRANSPORT" \
          ${props:+--tomcat-set "$props"}
        pid=$LAST_PID
        wait_ready "http://127.0.0.1:$port/" "$pid" "$target" 60
        streams_heap "$pid" >"$WORK/idle-$target.json"   # what the host holds before any stream
        log "$STREAMS streams through $target ($jvm, $(${jvm%% *} -version 2>&1 | head -n 1), upstream $TRANSPORT)"
        ln -sf "gc-$target.log" "$WORK/gc-server.log"
        relay_measure "$target" "http://127.0.0.1:$port" "$pid" "server=$pid" "mock=$mock"
        stop_process "$pid"
      done
    done
    log "load average (1, 5, 15 min) at the start: $load_at_start, at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    relay_streams_report
    if [[ -n ${RELAY_KEEP:-} ]]; then
      mkdir -p "$RELAY_KEEP"
      cp "$WORK"/*.log "$WORK"/histogram-*.txt "$WORK"/window-*.json "$RESULTS" "$RELAY_KEEP"/ 2>/dev/null || true
    fi
  }

  relay_streams
  exit
fi

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
