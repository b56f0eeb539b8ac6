#!/usr/bin/env bash
# The latency tail at concurrency 1: one client, one account, non-streamed and streamed, direct to
# the mock and through the quickstart (Jetty transport, PostgreSQL or H2), each measured call's
# start and end kept, so that the slow 1% can be laid beside what the gateway's JVM logged (GC
# pauses, safepoints) and, with TAIL_SCHED=1, beside a scheduler trace of the whole machine (perf
# sched): which thread of the call waited for a core, and what ran on the cores meanwhile.
#
#   bench/tail.sh                          prints p50/p99 and the attribution of the slow 1%
#
# Environment (besides bench/run.sh's GATEWAY_JAVA_OPTS, PG_BIN, BENCH_SKIP_BUILD and any
# APIMODELS_* engine setting, which the gateway inherits): TAIL_DURATION (measured seconds per run,
# 10), TAIL_WARMUP (15), TAIL_PREWARM (seconds of discarded load per shape, 20), TAIL_DB (postgres |
# h2), TAIL_DIRECT (0: skip the runs direct to the mock), TAIL_SCHED (1: record the scheduler with perf during the gateway runs; it costs the calls
# some latency itself), TAIL_OUT (a directory to keep the logs and traces in).
set -euo pipefail

# shellcheck source=run.sh
source "$(dirname "${BASH_SOURCE[0]}")/run.sh" # its functions and settings; its main does not run
DURATION=${TAIL_DURATION:-10}
# Long enough that neither the load generator's JIT (a fresh JVM per run) nor the gateway's is still
# compiling in the measured window: at 3 s their C2 threads took 0.2-0.4 core there.
WARMUP=${TAIL_WARMUP:-15}
PREWARM=${TAIL_PREWARM:-20}
TAIL_DB=${TAIL_DB:-postgres}
JVM_LOG=$WORK/gateway-jvm.log
# Pauses and safepoints stamped with System.nanoTime() (tn), the clock of the load generator's --calls.
GATEWAY_JAVA_OPTS="$GATEWAY_JAVA_OPTS -Xlog:gc,safepoint:file=$JVM_LOG:tn,uptime"
GATEWAY_CMD="java $GATEWAY_JAVA_OPTS -jar $QUICKSTART_JAR"
# H2: the engine's embedded database in the gateway's data directory instead of PostgreSQL.
[[ $TAIL_DB == postgres ]] || GATEWAY_CMD="env -u APIMODELS_DB_URL -u APIMODELS_DB_USER -u APIMODELS_DB_PASSWORD $GATEWAY_CMD"

# tail_measure NAME URL KEYS [--stream]: one c=1 run keeping its calls in $WORK/NAME.calls.
tail_measure() {
  local name=$1 url=$2 keys=$3; shift 3
  local sched=""
  if [[ ${TAIL_SCHED:-} == 1 && $name == gateway-* ]]; then
    perf sched record -k CLOCK_MONOTONIC -o "$WORK/$name.sched" -- sleep $((WARMUP + DURATION + 1)) >/dev/null 2>&1 &
    sched=$!
    PIDS+=("$sched")
  fi
  measure "{\"name\":\"$name\"}" --url "$url" --concurrency 1 --keys "$keys" --calls "$WORK/$name.calls" "$@"
  if [[ -n $sched ]]; then
    wait "$sched" || true
    stop_process "$sched"
    perf sched timehist -i "$WORK/$name.sched" >"$WORK/$name.timehist" 2>/dev/null || true
    rm -f "$WORK/$name.sched"
  fi
}

# tail_report DIR GATEWAY_PID MOCK_PID: reads what tail_main kept (TAIL_OUT has the same files).
tail_report() {
  python3 - "$1" "$2" "$3" <<'EOF'
import bisect, collections, json, os, re, sys
work, gateway_pid, mock_pid = sys.argv[1], sys.argv[2], sys.argv[3]

def calls(name):
    with open(os.path.join(work, name + ".calls")) as f:
        return [tuple(int(x) for x in line.split()) for line in f if line.strip()]

def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p / 100))] if s else 0

# GC pauses and safepoints as [begin, end] in ns: each line is stamped when the operation ended.
pauses, safepoints = [], []
stamp = re.compile(r"\[(\d+)ns\]")
for line in open(os.path.join(work, "gateway-jvm.log")):
    t = stamp.search(line)
    if not t:
        continue
    end = int(t.group(1))
    m = re.search(r"Pause .* (\d+\.\d+)ms$", line.strip())
    if m:
        pauses.append((end - int(float(m.group(1)) * 1e6), end, line.split("Pause", 1)[1].split(")")[0] + ")"))
    m = re.search(r'Safepoint "([^"]+)".*Total: (\d+) ns', line)
    if m:
        safepoints.append((end - int(m.group(2)), end, m.group(1)))

def overlapping(spans, a, b):
    return [s for s in spans if s[0] < b and s[1] > a]

# The scheduler trace: for each run of a thread, when it was woken, started and ended (ns), its CPU.
line_re = re.compile(r"^\s*(\d+\.\d+)\s+\[(\d+)\]\s+(.*?)\[(\d+)(?:/(\d+))?\]\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$")
def runs(name):
    path = os.path.join(work, name + ".timehist")
    out = []
    if not os.path.exists(path):
        return out
    for line in open(path):
        m = line_re.match(line)
        if not m:
            continue
        end = int(round(float(m.group(1)) * 1e9))
        run = int(round(float(m.group(8)) * 1e6))
        delay = int(round(float(m.group(7)) * 1e6))
        pid = m.group(5) or m.group(4)
        out.append((end - run, end, delay, m.group(3).strip(), pid, int(m.group(2))))
    out.sort()
    return out

loadgen_pids = set()

def who(comm, pid):
    if pid == gateway_pid:
        return "gateway:" + re.sub(r"[-\d]+$", "", comm)
    if pid == mock_pid:
        return "mock"
    if comm.startswith("postgres"):
        return "postgres"
    if pid in loadgen_pids:
        return "loadgen"
    if comm.startswith("<idle>") or comm.startswith("swapper"):
        return "idle"
    return "other:" + re.sub(r"[-/\d]+$", "", comm)

report = {}
for name in ("direct-non-stream", "direct-stream", "gateway-non-stream", "gateway-stream"):
    if not os.path.exists(os.path.join(work, name + ".calls")):
        continue
    cs = calls(name)
    lat = [c[2] - c[0] for c in cs]
    p50, p99 = pct(lat, 50), pct(lat, 99)
    entry = {"calls": len(cs), "p50_ms": round(p50 / 1e6, 3), "p90_ms": round(pct(lat, 90) / 1e6, 3),
             "p99_ms": round(p99 / 1e6, 3), "max_ms": round(max(lat) / 1e6, 3)}
    if name.startswith("gateway"):
        slow = [c for c in cs if c[2] - c[0] >= p99]
        fast = [c for c in cs if c[2] - c[0] <= p50]
        entry["slow_calls"] = len(slow)
        entry["slow_in_gc_pause"] = sum(1 for c in slow if overlapping(pauses, c[0], c[2]))
        entry["median_calls_in_gc_pause"] = sum(1 for c in fast if overlapping(pauses, c[0], c[2]))
        entry["slow_in_other_safepoint"] = sum(1 for c in slow if overlapping([s for s in safepoints if "G1" not in s[2]], c[0], c[2]))
        span = (cs[0][0], cs[-1][2]) if cs else (0, 0)
        inside = overlapping(pauses, *span)
        entry["gc_pauses_during_run"] = len(inside)
        entry["gc_pause_ms_total"] = round(sum(p[1] - p[0] for p in inside) / 1e6, 2)
        entry["safepoints_during_run"] = collections.Counter(s[2] for s in overlapping(safepoints, *span))
        rs = runs(name)
        loadgen_pids.update(r[4] for r in rs if r[3].startswith("loadgen-"))
        if rs:
            starts = [r[0] for r in rs]
            def chain(r):
                """A thread a c=1 call waits on: the gateway's request, Jetty client and worker threads, the mock, the load generator."""
                if r[4] == gateway_pid:
                    return r[3].startswith(("http-nio", "apimodels-jetty", "apimodels-worke", "qtp"))
                return r[4] == mock_pid or r[4] in loadgen_pids
            def delays(c):
                """Scheduler delays of the gateway's and mock's threads that started running inside the call."""
                i = bisect.bisect_left(starts, c[0])
                out = []
                while i < len(rs) and rs[i][0] < c[2]:
                    if chain(rs[i]):
                        out.append(rs[i])
                    i += 1
                return out
            def blockers(run):
                """What ran on the cores while `run`'s thread waited for one (its delay), by time."""
                a, b = run[0] - run[2], run[0]
                got = collections.Counter()
                i = max(0, bisect.bisect_left(starts, a - 50_000_000))
                while i < len(rs) and rs[i][0] < b:
                    r = rs[i]
                    if r[1] > a and r is not run:
                        got[who(r[3], r[4])] += min(b, r[1]) - max(a, r[0])
                    i += 1
                return got
            total_delay = lambda c: sum(r[2] for r in delays(c))
            entry["sched_delay_per_call_ms"] = {"slow_median": round(pct([total_delay(c) for c in slow], 50) / 1e6, 3),
                                                "median_call_median": round(pct([total_delay(c) for c in fast], 50) / 1e6, 3)}
            # A slow call is put down to the scheduler when its threads waited for a core for at
            # least half of what it took beyond the median call.
            by_sched, blamed = 0, collections.Counter()
            waited_for, top_blocker = collections.Counter(), collections.Counter()
            for c in slow:
                extra = (c[2] - c[0]) - p50
                ds = delays(c)
                if sum(r[2] for r in ds) * 2 >= extra:
                    by_sched += 1
                    worst = max(ds, key=lambda r: r[2])
                    waited_for[who(worst[3], worst[4])] += 1
                    got = blockers(worst)
                    for k, v in got.items():
                        blamed[k] += v
                    if got:
                        top_blocker[got.most_common(1)[0][0].split(":")[0]] += 1
            entry["slow_explained_by_sched_delay"] = by_sched
            # Each process's (and the gateway's threads') wake-ups and CPU per call over the run.
            wakeups, cpu = collections.Counter(), collections.Counter()
            for r in rs:
                if span[0] <= r[1] <= span[1]:
                    k = who(r[3], r[4])
                    wakeups[k] += 1
                    cpu[k] += r[1] - r[0]
            entry["per_call_runs_and_cpu_us"] = {k: [round(wakeups[k] / len(cs), 2), round(v / 1e3 / len(cs), 1)]
                                                 for k, v in cpu.most_common(14)}
            entry["slow_thread_that_waited"] = dict(waited_for.most_common(8))
            entry["slow_main_blocker"] = dict(top_blocker)
            total = sum(blamed.values()) or 1
            entry["cores_meanwhile_share"] = {k: round(v / total, 2) for k, v in blamed.most_common(12)}
    report[name] = entry
print(json.dumps(report, indent=1, default=dict))
EOF
}

tail_main() {
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  if [[ ${BENCH_SKIP_BUILD:-} != 1 ]]; then
    (cd "$ROOT" && nice -n 19 mvn -B -q -DskipTests package -pl samples/quickstart,bench -am)
  fi
  require_free_port "$MOCK_PORT"
  start_process mock java $MOCK_JAVA_OPTS -jar "$BENCH_JAR" mock --port "$MOCK_PORT"
  MOCK_PID=$LAST_PID
  wait_ready "http://127.0.0.1:$MOCK_PORT/v1/models" "$MOCK_PID" mock 30
  local direct=http://127.0.0.1:$MOCK_PORT
  if [[ ${TAIL_DIRECT:-1} == 1 ]]; then
    DURATION=$PREWARM WARMUP=0 loadgen --url "$(chat_url "$direct")" --concurrency 1 --keys bench >/dev/null
    tail_measure direct-non-stream "$(chat_url "$direct")" bench
    tail_measure direct-stream "$(chat_url "$direct")" bench --stream
  fi

  [[ $TAIL_DB != postgres ]] || start_pg
  start_gateway jetty
  create_accounts 1 "$WORK/one.keys"
  log "load average $(cut -d' ' -f1-3 /proc/loadavg); warming the gateway up"
  prewarm "$GATEWAY" "$WORK/one.keys"
  log "load average $(cut -d' ' -f1-3 /proc/loadavg) before the measured runs"
  tail_measure gateway-non-stream "$(chat_url "$GATEWAY")" "$WORK/one.keys"
  tail_measure gateway-stream "$(chat_url "$GATEWAY")" "$WORK/one.keys" --stream
  log "load average $(cut -d' ' -f1-3 /proc/loadavg) after the measured runs"
  tail_report "$WORK" "$GATEWAY_PID" "$MOCK_PID" | tee "$WORK/report.json"
  echo "$GATEWAY_PID $MOCK_PID" >"$WORK/pids"
  if [[ -n ${TAIL_OUT:-} ]]; then
    mkdir -p "$TAIL_OUT"
    cp "$WORK"/*.calls "$WORK"/*.log "$WORK"/pids "$WORK"/report.json "$WORK"/results.jsonl "$TAIL_OUT"/ 2>/dev/null || true
    cp "$WORK"/*.timehist "$TAIL_OUT"/ 2>/dev/null || true
  fi
  stop_process "$GATEWAY_PID"
  stop_pg
}

if [[ ${1:-} == --report ]]; then
  rmdir "$WORK" # made by run.sh when sourced; a report needs none
  read -r gateway mock <"$2/pids"
  tail_report "$2" "$gateway" "$mock"
else
  tail_main "$@"
fi
