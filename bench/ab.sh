#!/usr/bin/env bash
# A/B of two (or more) gateway builds in one invocation: each quickstart jar gets its own PostgreSQL
# and port, all are started and warmed up, then the non-streamed c=32 shapes of bench/run.sh (one
# busy account, 100 accounts) are measured round-robin, each round starting with the next build, so
# machine drift and the cost of coming second fall on every build alike.
# Read the ratios within one run; the other builds' gateways sit idle while one is measured.
#
#   bench/ab.sh old=/path/to/old/apimodels-quickstart.jar new=samples/quickstart/target/apimodels-quickstart.jar
#
# A build is NAME=JAR or NAME=JAR:JAVA_OPTIONS (extra options for that gateway's JVM, e.g. a system
# property that toggles a suspect). A build whose JAR is the word `relay` (NAME=relay[:JAVA_OPTIONS])
# is the bare Jetty relay of this tree's bench jar (`relay --server jetty`: async servlet -> Jetty
# HttpClient -> the same mock, no engine, no database): the host's ceiling, measured with the same
# load and rounds (its keys are ignored, both shapes are the same calls to it). Environment: AB_ROUNDS (2), AB_SHAPES ("many one"), AB_CONC
# (32), BENCH_DURATION (10), BENCH_WARMUP (5), BENCH_PREWARM (15), GATEWAY_JAVA_OPTS (-Xmx1g),
# BENCH_TRANSPORTS (its first word; "jetty" by default) and BENCH_AUTOGROUP_NICE (see run.sh's
# claim_cpu; -20 as root on a machine shared with other shells' builds). The load generator and
# the mock are this tree's bench jar (build it first: mvn package -pl bench).
#
# Prints one line per measurement, then per shape each build's mean req/s (and per round), its
# ratio to the first build, the CPU per successful call of its gateway and of its PostgreSQL
# over the load generator's run (on a shared machine the CPU per call moves far less than the
# throughput does, so it is the figure to compare), and its gateway's kernel context switches per
# call, voluntary (a thread waited: each is a wake-up later) + involuntary (preempted), summed over
# the threads alive at both ends of the run (/proc/PID/task/*/status; a thread that ended or
# started within the run is not counted), and the WAL its PostgreSQL wrote per call (psql reads
# pg_current_wal_lsn before and after each run; 0 without psql).
set -euo pipefail
export BENCH_WARMUP=${BENCH_WARMUP:-5}
# shellcheck source=run.sh
source "$(dirname "${BASH_SOURCE[0]}")/run.sh"

ROUNDS=${AB_ROUNDS:-2}
SHAPES=${AB_SHAPES:-many one}
CONC=${AB_CONC:-32}
TRANSPORT=${BENCH_TRANSPORTS:-jetty}
TRANSPORT=${TRANSPORT%% *}

(($# > 0)) || die "usage: bench/ab.sh NAME=JAR[:JAVA_OPTIONS] ..."
claim_cpu "$@"
NAMES=() JARS=() OPTS=()
for build in "$@"; do
  [[ $build == *=* ]] || die "not NAME=JAR: $build"
  name=${build%%=*} rest=${build#*=}
  jar=${rest%%:*} opts=""
  [[ $rest != *:* ]] || opts=${rest#*:}
  if [[ $jar == relay ]]; then
    NAMES+=("$name") JARS+=(relay) OPTS+=("$opts")
    continue
  fi
  [[ -f $jar ]] || die "$jar is missing"
  NAMES+=("$name") JARS+=("$(cd "$(dirname "$jar")" && pwd)/$(basename "$jar")") OPTS+=("$opts")
done
[[ -f $BENCH_JAR ]] || die "$BENCH_JAR is missing"

PG_DIRS=()
ab_cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do stop_process "$pid"; done
  for PG_DIR in "${PG_DIRS[@]}"; do stop_pg; done
  if [[ $status -eq 0 ]]; then rm -rf "$WORK"; else log "logs kept in $WORK"; fi
}
trap ab_cleanup EXIT
trap 'exit 130' INT TERM

require_free_port "$MOCK_PORT"
start_process mock java $MOCK_JAVA_OPTS -jar "$BENCH_JAR" mock --port "$MOCK_PORT"
wait_ready "http://127.0.0.1:$MOCK_PORT/v1/models" "$LAST_PID" mock 30
require_free_port "$SLOW_MOCK_PORT"   # the catalog names it; nothing here calls it

# CPU ticks (utime + stime, children's included) of a process, or of a PostgreSQL cluster (its
# postmaster, the backends alive now and those that ended).
cpu_ticks() {
  local pid total=0 f
  for pid in "$@"; do
    f=$(cut -d' ' -f14-17 "/proc/$pid/stat" 2>/dev/null) || continue
    total=$((total + $(echo "$f" | awk '{ print $1 + $2 + $3 + $4 }')))
  done
  echo "$total"
}
pg_pids() {
  [[ -n $1 ]] || return 0 # the relay has no database
  local postmaster; postmaster=$(head -n 1 "$1/data/postmaster.pid"); echo "$postmaster" $(pgrep -P "$postmaster")
}
TICKS=$(getconf CLK_TCK)
# Voluntary + involuntary context switches of a process's threads alive now, as "VOLUNTARY INVOLUNTARY".
ctx_switches() {
  cat "/proc/$1/task/"*/status 2>/dev/null | awk '
    /^voluntary_ctxt_switches/ { v += $2 } /^nonvoluntary_ctxt_switches/ { n += $2 } END { print v + 0, n + 0 }'
}

# The WAL position of a build's PostgreSQL in bytes (its socket is in the directory that holds
# its data), 0 for the relay or without psql.
PSQL=$(command -v psql || echo "$PG_BIN/psql")
wal_bytes() {
  [[ -n $1 ]] || { echo 0; return 0; }
  as_pg_user "$PSQL" -X -q -A -t -h "$1" -p "$2" -U apimodels postgres \
    -c "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn" 2>/dev/null | cut -d. -f1 || echo 0
}

declare -A URL KEYDIR GWPID PGDIR PGPORT
for i in "${!NAMES[@]}"; do
  name=${NAMES[$i]}
  port=$((GATEWAY_PORT + 10 * i))
  if [[ ${JARS[$i]} == relay ]]; then
    require_free_port "$port"
    # shellcheck disable=SC2086  # GATEWAY_JAVA_OPTS and the build's options are words
    start_process "relay-$name" java $GATEWAY_JAVA_OPTS ${OPTS[$i]} -jar "$BENCH_JAR" relay --server jetty \
      --port "$port" --upstream "http://127.0.0.1:$MOCK_PORT"
    wait_ready "http://127.0.0.1:$port/" "$LAST_PID" "relay-$name" 60
    log "relay-$name (bare Jetty relay) ready on port $port, pid $LAST_PID"
    mkdir -p "$WORK/keys-$name"
    echo bench >"$WORK/keys-$name/one.keys"
    echo bench >"$WORK/keys-$name/many.keys"
    URL[$name]=http://127.0.0.1:$port KEYDIR[$name]=$WORK/keys-$name GWPID[$name]=$LAST_PID PGDIR[$name]="" PGPORT[$name]=""
    continue
  fi
  PG_PORT=$((55432 + i)) PG_DIR=""
  start_pg
  PG_DIRS+=("$PG_DIR")
  unset ADMIN_KEY
  GATEWAY_CMD="java $GATEWAY_JAVA_OPTS ${OPTS[$i]} -jar ${JARS[$i]}" start_gateway "$TRANSPORT" "$port" "gateway-$name"
  GATEWAY=http://127.0.0.1:$port
  mkdir -p "$WORK/keys-$name"
  create_accounts $((ACCOUNTS + 1)) "$WORK/keys-$name/all.keys"
  head -n 1 "$WORK/keys-$name/all.keys" >"$WORK/keys-$name/one.keys"
  tail -n +2 "$WORK/keys-$name/all.keys" >"$WORK/keys-$name/many.keys"
  URL[$name]=$GATEWAY KEYDIR[$name]=$WORK/keys-$name GWPID[$name]=$GATEWAY_PID PGDIR[$name]=$PG_DIR PGPORT[$name]=$PG_PORT
done
for name in "${NAMES[@]}"; do
  log "warming $name up"
  for shape in $SHAPES; do
    DURATION=$PREWARM WARMUP=0 loadgen --url "$(chat_url "${URL[$name]}")" --concurrency "$CONC" \
      --keys "${KEYDIR[$name]}/$shape.keys" >/dev/null
  done
done

# Each round starts with the next build: at 100 accounts the build measured second in a round ran
# ~10 % below the first whichever it was, at the same CPU per call (a wait, cause not pinned down).
for round in $(seq "$ROUNDS"); do
  order=("${NAMES[@]:$(((round - 1) % ${#NAMES[@]}))}" "${NAMES[@]:0:$(((round - 1) % ${#NAMES[@]}))}")
  for shape in $SHAPES; do
    for name in "${order[@]}"; do
      # CPU per successful call over the whole load generator run (its warm-up included, as total_ok
      # is): on a shared machine it moves much less than the throughput does.
      gw0=$(cpu_ticks "${GWPID[$name]}") pg0=$(cpu_ticks $(pg_pids "${PGDIR[$name]}"))
      read -r vcs0 ncs0 <<<"$(ctx_switches "${GWPID[$name]}")"
      wal0=$(wal_bytes "${PGDIR[$name]}" "${PGPORT[$name]}")
      result=$(loadgen --url "$(chat_url "${URL[$name]}")" --concurrency "$CONC" --keys "${KEYDIR[$name]}/$shape.keys")
      read -r vcs1 ncs1 <<<"$(ctx_switches "${GWPID[$name]}")"
      wal1=$(wal_bytes "${PGDIR[$name]}" "${PGPORT[$name]}")
      gw1=$(cpu_ticks "${GWPID[$name]}") pg1=$(cpu_ticks $(pg_pids "${PGDIR[$name]}"))
      load=$(cut -d' ' -f1 /proc/loadavg)
      labels="{\"build\":\"$name\",\"round\":$round,\"shape\":\"$shape\",\"conc\":$CONC,\"load\":$load,\"gateway_cpu_s\":$(((gw1 - gw0) * 1000 / TICKS))e-3,\"pg_cpu_s\":$(((pg1 - pg0) * 1000 / TICKS))e-3,\"voluntary_cs\":$((vcs1 - vcs0)),\"involuntary_cs\":$((ncs1 - ncs0)),\"wal_bytes\":$((${wal1:-0} - ${wal0:-0}))}"
      log "  $labels -> $result"
      echo "{\"labels\":$labels,\"result\":$result}" >>"$RESULTS"
    done
  done
done

python3 - "$RESULTS" "${NAMES[@]}" <<'EOF'
import json, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
names = sys.argv[2:]
print("| shape | " + " | ".join(f"{n} req/s (rounds)" for n in names) + " | " +
      " | ".join(f"{n}/{names[0]}" for n in names[1:]) + " | " +
      " | ".join(f"{n} gateway + PostgreSQL CPU µs per call" for n in names) + " | " +
      " | ".join(f"{n} context switches per call (voluntary + involuntary)" for n in names) + " | " +
      " | ".join(f"{n} WAL bytes per call" for n in names) + " |")
print("|---|" + "---:|" * (5 * len(names) - 1))
for shape in dict.fromkeys(r["labels"]["shape"] for r in runs):
    rps = {n: [r["result"]["rps"] for r in runs if r["labels"]["build"] == n and r["labels"]["shape"] == shape]
           for n in names}
    mean = {n: sum(v) / len(v) for n, v in rps.items()}
    errors = {n: sum(r["result"]["errors"] for r in runs if r["labels"]["build"] == n and r["labels"]["shape"] == shape)
              for n in names}
    cells = [f"{mean[n]:,.0f} ({', '.join(f'{x:,.0f}' for x in rps[n])}){' errors ' + str(errors[n]) if errors[n] else ''}"
             for n in names]
    def cpu(n):
        mine = [r for r in runs if r["labels"]["build"] == n and r["labels"]["shape"] == shape]
        calls = sum(r["result"]["total_ok"] for r in mine)
        gw = sum(r["labels"]["gateway_cpu_s"] for r in mine) * 1e6 / calls
        pg = sum(r["labels"]["pg_cpu_s"] for r in mine) * 1e6 / calls
        each = ", ".join(f"{r['labels']['gateway_cpu_s'] * 1e6 / r['result']['total_ok']:.0f}" for r in mine)
        return f"{gw:.0f} + {pg:.0f} ({each})"
    def switches(n):
        mine = [r for r in runs if r["labels"]["build"] == n and r["labels"]["shape"] == shape]
        calls = sum(r["result"]["total_ok"] for r in mine)
        voluntary = sum(r["labels"]["voluntary_cs"] for r in mine) / calls
        involuntary = sum(r["labels"]["involuntary_cs"] for r in mine) / calls
        return f"{voluntary:.2f} + {involuntary:.2f}"
    def wal(n):
        mine = [r for r in runs if r["labels"]["build"] == n and r["labels"]["shape"] == shape]
        return f"{sum(r['labels'].get('wal_bytes', 0) for r in mine) / sum(r['result']['total_ok'] for r in mine):,.0f}"
    print(f"| {shape} | " + " | ".join(cells) + " | " + " | ".join(f"{mean[n] / mean[names[0]]:.3f}" for n in names[1:])
          + " | " + " | ".join(cpu(n) for n in names) + " | " + " | ".join(switches(n) for n in names)
          + " | " + " | ".join(wal(n) for n in names) + " |")
EOF
