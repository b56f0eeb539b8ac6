#!/usr/bin/env bash
# Direct-to-mock vs through-apimodels: throughput and p50/p99 latency at concurrency 1 and 32,
# non-streaming and streaming, JDK and Jetty upstream transports, one busy account and 100
# accounts, on a throw-away PostgreSQL; then RSS of the gateway and a held-open SSE streams test.
# Writes bench/RESULTS.md.
#
#   bench/run.sh                 everything (builds samples/quickstart and bench first)
#   bench/run.sh --direct-only   only the load generator against the mock: the machine's ceiling
#
# Environment: BENCH_DURATION (measured seconds per run, 10), BENCH_WARMUP (10), BENCH_PREWARM
# (seconds of discarded load per shape after the gateway starts, 15), BENCH_TRANSPORTS ("jdk jetty"),
# BENCH_HELD_STREAMS (500), BENCH_COMPARE ("portkey": Portkey's OSS gateway, installed from npm into
# bench/target on first use, measured non-streamed against the same mock; "" to skip), BENCH_SKIP_BUILD=1, GATEWAY_JAVA_OPTS (-Xmx1g), GATEWAY_CMD (the
# command that starts the gateway; it must exec the JVM so that its pid is the gateway's),
# PG_BIN (/usr/local/bin), BENCH_AUTOGROUP_NICE (unset; see claim_cpu).
#
# Everything shares the machine's cores (load generator, mock, gateway, PostgreSQL): read the
# ratios, not the absolute numbers.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_JAR=$ROOT/bench/target/apimodels-bench.jar
QUICKSTART_JAR=$ROOT/samples/quickstart/target/apimodels-quickstart.jar
DURATION=${BENCH_DURATION:-10}
# The load generator is a fresh JVM per run: with 3 s of warm-up its own JIT compiler still took
# 0.2-0.4 of a core in the measured window and was the main blocker of the slowest calls at c=1
# (bench/tail.sh traces, bench/RESULTS.md "The c=1 tail"), which is not the gateway's latency.
WARMUP=${BENCH_WARMUP:-10}
PREWARM=${BENCH_PREWARM:-15}
TRANSPORTS=${BENCH_TRANSPORTS:-jdk jetty}
HELD_STREAMS=${BENCH_HELD_STREAMS:-500}
HELD_CHUNKS=20 HELD_INTERVAL_MS=500   # each held stream stays open ~10 s
GATEWAY_JAVA_OPTS=${GATEWAY_JAVA_OPTS:--Xmx1g}
CUSTOM_GATEWAY=${GATEWAY_CMD:+yes}
GATEWAY_CMD=${GATEWAY_CMD:-java $GATEWAY_JAVA_OPTS -jar $QUICKSTART_JAR}
MOCK_JAVA_OPTS="-Xmx256m"
LOADGEN_JAVA_OPTS="-Xmx512m"
PG_BIN=${PG_BIN:-/usr/local/bin}
MOCK_PORT=18081 SLOW_MOCK_PORT=18082 GATEWAY_PORT=18080 PG_PORT=55432
ACCOUNTS=100
COMPARE=${BENCH_COMPARE-portkey}
PORTKEY_VERSION=1.15.2 PORTKEY_PORT=18787
GATEWAY=http://127.0.0.1:$GATEWAY_PORT

WORK=$(mktemp -d /tmp/apimodels-bench.XXXXXX)
RESULTS=$WORK/results.jsonl   # one JSON object per measured run, read by report()
PIDS=()
PG_DIR=""

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
random_secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do stop_process "$pid"; done
  stop_pg
  if [[ $status -eq 0 ]]; then rm -rf "$WORK"; else log "logs kept in $WORK"; fi
}

# Starts "$@" in the background with its output in $WORK/NAME.log; sets LAST_PID.
start_process() {
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

# Stops a process started here and forgets its pid, so that a recycled pid is never signalled.
stop_process() {
  local pid=$1 kept=() p
  for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
  PIDS=("${kept[@]}")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
}

require_free_port() {
  if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then die "port $1 is already in use"; fi
}

# Waits until URL answers 200, failing early if process PID (logging to NAME.log) dies.
wait_ready() {
  local url=$1 pid=$2 name=$3 seconds=$4
  local deadline=$((SECONDS + seconds))
  until [[ $(curl -s -o /dev/null -w '%{http_code}' "$url" || true) == 200 ]]; do
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$WORK/$name.log" >&2; die "$name exited"; }
    ((SECONDS < deadline)) || { tail -n 30 "$WORK/$name.log" >&2; die "$name not ready after ${seconds}s"; }
    sleep 0.2
  done
}

# With the kernel's autogroup scheduling (/proc/sys/kernel/sched_autogroup_enabled = 1) CPU is
# shared between sessions first and nice orders processes only within a session: a build at nice
# 19 in another shell's session still takes that session's whole share from the bench. With
# BENCH_AUTOGROUP_NICE (e.g. -20, as root) the script re-runs itself in a session of its own and
# gives that session this nice, and start_pg gives PostgreSQL's (pg_ctl starts it in another) the
# same; only sessions this script made are touched. Call it with the script's own arguments.
claim_cpu() {
  [[ -n ${BENCH_AUTOGROUP_NICE:-} && -e /proc/self/autogroup ]] || return 0
  if [[ $(ps -o sid= -p $$ | tr -d ' ') != "$$" ]]; then
    rmdir "$WORK" 2>/dev/null || true   # the new run makes its own
    exec setsid -w "$0" "$@"
  fi
  echo "$BENCH_AUTOGROUP_NICE" >/proc/self/autogroup
  log "this session's autogroup: $(cat /proc/self/autogroup)"
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# --- PostgreSQL: a fresh cluster per gateway run, so both transports start from the same state ---

# initdb and postgres refuse to run as root: run them as an unprivileged user then.
as_pg_user() {
  if [[ $(id -u) -ne 0 ]]; then "$@"; else runuser -u "$PG_OS_USER" -- "$@"; fi
}

start_pg() {
  if [[ $(id -u) -eq 0 ]]; then
    PG_OS_USER=postgres
    if ! id "$PG_OS_USER" >/dev/null 2>&1; then
      PG_OS_USER=apimodels-bench
      id "$PG_OS_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_OS_USER"
    fi
  fi
  require_free_port "$PG_PORT"
  PG_DIR=$(mktemp -d /tmp/apimodels-bench-pg.XXXXXX)
  PG_PASSWORD=$(random_secret)
  echo "$PG_PASSWORD" >"$PG_DIR/pwfile"
  [[ $(id -u) -ne 0 ]] || chown -R "$PG_OS_USER" "$PG_DIR"
  as_pg_user "$PG_BIN/initdb" -D "$PG_DIR/data" -U apimodels --pwfile="$PG_DIR/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
  as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c max_connections=200 -k $PG_DIR" start >/dev/null \
    || { cat "$PG_DIR/postgres.log" >&2; die "PostgreSQL did not start"; }
  [[ -z ${BENCH_AUTOGROUP_NICE:-} || ! -e /proc/self/autogroup ]] \
    || echo "$BENCH_AUTOGROUP_NICE" >"/proc/$(head -n 1 "$PG_DIR/data/postmaster.pid")/autogroup"
  log "PostgreSQL on 127.0.0.1:$PG_PORT (data in $PG_DIR/data)"
}

stop_pg() {
  [[ -n $PG_DIR ]] || return 0
  as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  cp "$PG_DIR/postgres.log" "$WORK/postgres-$(date +%s).log" 2>/dev/null || true
  rm -rf "$PG_DIR"
  PG_DIR=""
}

# --- the gateway ---

write_catalog() {
  local transport=$1 file=$2
  cat >"$file" <<EOF
providers:
  - id: mock
    type: openai
    base-url: http://127.0.0.1:$MOCK_PORT/v1
    api-key: bench
    transport: $transport
    timeout-seconds: ${ROUTE_TIMEOUT_SECONDS:-30}
  - id: mock-slow
    type: openai
    base-url: http://127.0.0.1:$SLOW_MOCK_PORT/v1
    api-key: bench
    transport: $transport
    timeout-seconds: ${ROUTE_TIMEOUT_SECONDS:-30}
models:
  - id: bench-chat
    kind: chat
    routes:
      - { provider: mock, upstream-model: mock-model, priority: 1, weight: 1 }
    price: { input-per-1m-tokens: 0.15, output-per-1m-tokens: 0.60 }
  - id: bench-chat-slow
    kind: chat
    routes:
      - { provider: mock-slow, upstream-model: mock-model, priority: 1, weight: 1 }
    price: { input-per-1m-tokens: 0.15, output-per-1m-tokens: 0.60 }
EOF
}

# start_gateway TRANSPORT [PORT NAME]: one gateway on PostgreSQL; sets GATEWAY_PID. ADMIN_KEY is
# made once and the key pepper comes from KEY_PEPPER when set, so several nodes accept the same keys.
start_gateway() {
  local transport=$1 port=${2:-$GATEWAY_PORT} name=${3:-gateway-$1}
  require_free_port "$port"
  ADMIN_KEY=${ADMIN_KEY:-$(random_secret)}
  mkdir -p "$WORK/data-$name"
  write_catalog "$transport" "$WORK/catalog-$name.yaml"
  # shellcheck disable=SC2086  # GATEWAY_CMD is a command line
  start_process "$name" env \
    APIMODELS_PORT="$port" \
    APIMODELS_DATA_DIR="$WORK/data-$name" \
    APIMODELS_DB_URL="jdbc:postgresql://127.0.0.1:$PG_PORT/postgres" \
    APIMODELS_DB_USER=apimodels \
    APIMODELS_DB_PASSWORD="$PG_PASSWORD" \
    APIMODELS_BOOTSTRAP_ADMIN_KEY="$ADMIN_KEY" \
    APIMODELS_CATALOG="$WORK/catalog-$name.yaml" \
    ${KEY_PEPPER:+APIMODELS_KEYS_PEPPER="$KEY_PEPPER"} \
    $GATEWAY_CMD
  GATEWAY_PID=$LAST_PID
  wait_ready "http://127.0.0.1:$port/health/ready" "$GATEWAY_PID" "$name" 180
  log "$name ($transport transport) ready on port $port, pid $GATEWAY_PID"
}

# Creates COUNT funded accounts with one key each through the admin API; writes the keys to FILE.
create_accounts() {
  local count=$1 file=$2
  python3 - "$GATEWAY" "$ADMIN_KEY" "$count" "$file" <<'EOF'
import json, sys, urllib.error, urllib.request
base, admin, count, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

def post(path, body):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": "Bearer " + admin, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        sys.exit(f"POST {path} -> {e.code}: {e.read().decode(errors='replace')[:500]}")

keys = []
for n in range(count):
    user = post("/admin/users", {"email": f"bench-{n}@example.com"})
    post(f"/admin/users/{user['id']}/credits",
         {"amount_micros": 1_000_000_000_000, "reason": "bench", "idempotency_key": f"bench-{n}"})
    keys.append(post(f"/admin/users/{user['id']}/keys", {"name": "bench"})["key"])
with open(out, "w") as f:
    f.write("\n".join(keys) + "\n")
EOF
}

# The busy account's balance once its holds have settled (waits up to 30 s for held_micros = 0).
ledger_state() {
  python3 - "$GATEWAY" "$(head -n 1 "$WORK/one.keys")" <<'EOF'
import json, sys, time, urllib.request
base, key = sys.argv[1], sys.argv[2]
state, deadline = {}, time.time() + 30
while time.time() < deadline:
    try:
        request = urllib.request.Request(base + "/api/v1/account", headers={"Authorization": "Bearer " + key})
        with urllib.request.urlopen(request, timeout=10) as response:
            state = json.load(response)
    except Exception as e:
        state = {"error": str(e)}
        break
    if state.get("held_micros") == 0:
        break
    time.sleep(0.5)
print(json.dumps({k: state.get(k) for k in ("balance_micros", "held_micros", "error") if k in state}))
EOF
}

# --- load ---

# Runs the load generator; "$@" are its options. Prints its JSON line on stdout.
loadgen() {
  java $LOADGEN_JAVA_OPTS -jar "$BENCH_JAR" load --warmup-seconds "$WARMUP" --duration-seconds "$DURATION" "$@"
}

# measure LABELS_JSON LOADGEN_OPTIONS...: one measured run, appended to $RESULTS.
measure() {
  local labels=$1; shift
  local result
  result=$(loadgen "$@")
  log "  $labels -> $result"
  echo "{\"labels\":$labels,\"result\":$result}" >>"$RESULTS"
}

chat_url() { echo "$1/v1/chat/completions"; }

# Discarded load in both modes and at both concurrencies, so the first measured scenario (one
# client, non-streaming) does not pay for the server's JIT.
prewarm() {
  local base=$1 keys=$2
  DURATION=$PREWARM WARMUP=0 loadgen --url "$(chat_url "$base")" --concurrency 32 --keys "$keys" >/dev/null
  DURATION=$PREWARM WARMUP=0 loadgen --url "$(chat_url "$base")" --concurrency 32 --keys "$keys" --stream >/dev/null
  DURATION=$PREWARM WARMUP=0 loadgen --url "$(chat_url "$base")" --concurrency 1 --keys "$keys" >/dev/null
}

# The same scenarios against the mock directly (the baseline) or through the gateway.
run_scenarios() {
  local target=$1 base=$2 transport=$3
  local shapes=(one) mode conc shape keys
  [[ $target == direct ]] || shapes=(one many)
  for mode in non-stream stream; do
    for conc in 1 32; do
      for shape in "${shapes[@]}"; do
        keys=bench
        [[ $target == direct ]] || keys=$WORK/$shape.keys
        local stream_flag=()
        [[ $mode == non-stream ]] || stream_flag=(--stream)
        measure "{\"target\":\"$target\",\"transport\":\"$transport\",\"mode\":\"$mode\",\"conc\":$conc,\"shape\":\"$shape\"}" \
          --url "$(chat_url "$base")" --concurrency "$conc" --keys "$keys" "${stream_flag[@]}"
      done
    done
  done
}

# HELD_STREAMS concurrent slow streams; for the gateway, samples its peak RSS meanwhile.
held_streams() {
  local target=$1 base=$2 transport=$3 keys=$4
  local body='{"model":"bench-chat-slow","messages":[{"role":"user","content":"hello"}],"max_tokens":16}'
  local sampler=""
  if [[ $target == gateway ]]; then
    echo 0 >"$WORK/peak-rss"
    ( peak=0
      while kill -0 "$GATEWAY_PID" 2>/dev/null; do
        rss=$(rss_kb "$GATEWAY_PID" || echo 0)
        if ((rss > peak)); then peak=$rss; echo "$peak" >"$WORK/peak-rss"; fi
        sleep 0.5
      done ) &
    sampler=$!
    PIDS+=("$sampler")
  fi
  # The warm-up outlasts the first wave of streams, whose times include opening 500 connections.
  DURATION=20 WARMUP=$((HELD_CHUNKS * HELD_INTERVAL_MS / 1000 + 2)) measure \
    "{\"target\":\"$target\",\"transport\":\"$transport\",\"mode\":\"held\",\"conc\":$HELD_STREAMS,\"shape\":\"many\"}" \
    --url "$(chat_url "$base")" --concurrency "$HELD_STREAMS" --keys "$keys" --stream --body "$body"
  if [[ -n $sampler ]]; then
    stop_process "$sampler"
    echo "{\"labels\":{\"transport\":\"$transport\",\"mode\":\"memory\"},\"result\":{\"peak_held_rss_kb\":$(cat "$WORK/peak-rss")}}" >>"$RESULTS"
  fi
}

bench_gateway() {
  local transport=$1
  start_pg
  unset ADMIN_KEY
  start_gateway "$transport"
  create_accounts $((ACCOUNTS + 1)) "$WORK/all.keys"
  head -n 1 "$WORK/all.keys" >"$WORK/one.keys"
  tail -n +2 "$WORK/all.keys" >"$WORK/many.keys"
  log "created $((ACCOUNTS + 1)) accounts; warming the gateway up"
  prewarm "$GATEWAY" "$WORK/many.keys"
  run_scenarios gateway "$GATEWAY" "$transport"
  echo "{\"labels\":{\"transport\":\"$transport\",\"mode\":\"memory\"},\"result\":{\"rss_after_runs_kb\":$(rss_kb "$GATEWAY_PID")}}" >>"$RESULTS"
  echo "{\"labels\":{\"transport\":\"$transport\",\"mode\":\"ledger\"},\"result\":$(ledger_state)}" >>"$RESULTS"
  held_streams gateway "$GATEWAY" "$transport" "$WORK/many.keys"
  stop_process "$GATEWAY_PID"
  stop_pg
}

# Portkey's open-source gateway (Node.js, no database, no accounting) in front of the same mock:
# what the issue's comparison was measured against. Only non-streamed: version 1.15.2 answers
# every stream from this mock with 500 ("TypeError: immutable" while copying the upstream's headers).
bench_portkey() {
  local dir=$ROOT/bench/target/portkey-$PORTKEY_VERSION
  local server=$dir/node_modules/@portkey-ai/gateway/build/start-server.js
  if [[ ! -f $server ]]; then
    command -v npm >/dev/null || { log "npm is missing: Portkey not measured"; return 0; }
    log "installing @portkey-ai/gateway@$PORTKEY_VERSION from npm"
    mkdir -p "$dir"
    (cd "$dir" && npm install --no-audit --no-fund --ignore-scripts "@portkey-ai/gateway@$PORTKEY_VERSION") >"$WORK/npm.log" 2>&1 \
      || { tail -n 20 "$WORK/npm.log" >&2; die "npm install failed"; }
  fi
  require_free_port "$PORTKEY_PORT"
  start_process portkey node "$server" --port="$PORTKEY_PORT" --headless
  local pid=$LAST_PID base=http://127.0.0.1:$PORTKEY_PORT
  wait_ready "$base/" "$pid" portkey 60
  local headers="x-portkey-provider: openai; x-portkey-custom-host: http://127.0.0.1:$MOCK_PORT/v1"
  log "through Portkey $PORTKEY_VERSION (pid $pid)"
  DURATION=$PREWARM WARMUP=0 loadgen --url "$(chat_url "$base")" --concurrency 32 --keys bench --headers "$headers" >/dev/null
  DURATION=$PREWARM WARMUP=0 loadgen --url "$(chat_url "$base")" --concurrency 1 --keys bench --headers "$headers" >/dev/null
  local conc
  for conc in 1 32; do
    measure "{\"target\":\"portkey\",\"transport\":\"portkey\",\"mode\":\"non-stream\",\"conc\":$conc,\"shape\":\"one\"}" \
      --url "$(chat_url "$base")" --concurrency "$conc" --keys bench --headers "$headers"
  done
  stop_process "$pid"
}

# Prints the markdown tables from $RESULTS.
report() {
  python3 - "$RESULTS" "$HELD_STREAMS" "$HELD_CHUNKS" "$HELD_INTERVAL_MS" <<'EOF'
import json, sys
results_file, held, chunks, interval = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
runs = [json.loads(line) for line in open(results_file)]
direct = {(r["labels"]["mode"], r["labels"]["conc"]): r["result"] for r in runs if r["labels"].get("target") == "direct"}
gateway = [r for r in runs if r["labels"].get("target") == "gateway"]
portkey = [r for r in runs if r["labels"].get("target") == "portkey"]
memory, ledger = {}, {}
for r in runs:
    if r["labels"]["mode"] == "memory":
        memory.setdefault(r["labels"]["transport"], {}).update(r["result"])
    if r["labels"]["mode"] == "ledger":
        ledger[r["labels"]["transport"]] = r["result"]
shape_name = {"one": "1 account", "many": "100 accounts"}

def lat(r, unit=1.0):
    return f"{r['p50_ms'] / unit:.2f} / {r['p99_ms'] / unit:.2f}"

def errors(r):
    return str(r["errors"]) + (" " + json.dumps(r["error_kinds"]) if r["errors"] else "")

print("Latency in ms to the last byte (for streams, the whole SSE stream); overhead = gateway p50 − direct p50.")
print("Streams: 10 chunks, no delay, usage chunk, `[DONE]`. Errors are non-2xx, failures and cut streams; they count in no other column.")
print()
print("| scenario | direct req/s | gateway req/s | direct p50/p99 | gateway p50/p99 | overhead p50 | gateway errors |")
print("|---|---:|---:|---:|---:|---:|---:|")
rows = portkey + gateway or [{"labels": {"transport": "—", "mode": m, "conc": c, "shape": "one"}, "result": None}
                   for (m, c) in direct if m != "held"]
for r in rows:
    l, g = r["labels"], r["result"]
    if l["mode"] == "held":
        continue
    d = direct.get((l["mode"], l["conc"]))
    name = f"{l['transport']} · {l['mode']} · c={l['conc']} · {shape_name[l['shape']]}"
    if g is None:
        print(f"| {name} | {d['rps']:,.0f} | — | {lat(d)} | — | — | — |")
    else:
        print(f"| {name} | {d['rps']:,.0f} | {g['rps']:,.0f} | {lat(d)} | {lat(g)} | "
              f"{g['p50_ms'] - d['p50_ms']:+.2f} | {errors(g)} |")

print()
print(f"Held-open streams: {held} concurrent streams of {chunks} chunks {interval} ms apart (through the gateway: from 100 accounts).")
print()
for (m, c), d in direct.items():
    if m == "held":
        print(f"- direct: {d['requests']} streams, last byte p50/p99 {d['p50_ms']/1000:.2f} / {d['p99_ms']/1000:.2f} s, "
              f"first byte p50/p99 {d['ttfb_p50_ms']:.1f} / {d['ttfb_p99_ms']:.1f} ms, errors {errors(d)}")
for r in gateway:
    l, g = r["labels"], r["result"]
    if l["mode"] == "held":
        mem = memory.get(l["transport"], {})
        print(f"- {l['transport']}: {g['requests']} streams, last byte p50/p99 {g['p50_ms']/1000:.2f} / {g['p99_ms']/1000:.2f} s, "
              f"first byte p50/p99 {g['ttfb_p50_ms']:.1f} / {g['ttfb_p99_ms']:.1f} ms, errors {errors(g)}; "
              f"gateway RSS after the runs above {mem.get('rss_after_runs_kb', 0) / 1024:.0f} MB, "
              f"peak while streams were held {mem.get('peak_held_rss_kb', 0) / 1024:.0f} MB")

def pick(rows, transport, mode, conc):
    return next((r["result"] for r in rows if r["labels"]["transport"] == transport and r["labels"]["mode"] == mode
                 and r["labels"]["conc"] == conc and r["labels"]["shape"] == "one"), None)

if portkey and gateway:
    print()
    print("Side by side (non-streamed, one account; apimodels holds, settles and logs every call in PostgreSQL, "
          "Portkey keeps no accounts):")
    print()
    cols = [("portkey", "Portkey OSS")] + [(t, f"apimodels, `transport: {t}`")
                                            for t in dict.fromkeys(r["labels"]["transport"] for r in gateway)]
    print("| | " + " | ".join(name for _, name in cols) + " |")
    print("|---|" + "---:|" * len(cols))
    base = pick(portkey, "portkey", "non-stream", 32)
    cells = []
    for t, _ in cols:
        g = pick(portkey + gateway, t, "non-stream", 32)
        ratio = "" if t == "portkey" or not base or not g else f" ({g['rps'] / base['rps']:.1f}×)"
        cells.append(f"{g['rps']:,.0f} req/s{ratio}" if g else "—")
    print("| c=32 throughput | " + " | ".join(cells) + " |")
    d1 = direct.get(("non-stream", 1))
    cells = []
    for t, _ in cols:
        g = pick(portkey + gateway, t, "non-stream", 1)
        cells.append(f"{g['p50_ms'] - d1['p50_ms']:.2f} ms" if g and d1 else "—")
    print("| c=1 p50 added over direct | " + " | ".join(cells) + " |")
    cells = []
    for t, _ in cols:
        g = pick(portkey + gateway, t, "non-stream", 1)
        cells.append(f"{g['p99_ms'] - d1['p99_ms']:.2f} ms" if g and d1 else "—")
    print("| c=1 p99 added over direct | " + " | ".join(cells) + " |")

if gateway:
    print()
    print("Targets (every call held, settled and logged in PostgreSQL; a run with errors fails):")
    print()
    for t in dict.fromkeys(r["labels"]["transport"] for r in gateway):
        mine = [r for r in gateway if r["labels"]["transport"] == t and r["labels"]["mode"] != "held"]
        c1 = [(r["result"]["p50_ms"] - direct[(r["labels"]["mode"], 1)]["p50_ms"], r) for r in mine if r["labels"]["conc"] == 1]
        worst, _ = max(c1, key=lambda x: x[0])
        ok = worst <= 1.0 and all(r["result"]["errors"] == 0 for _, r in c1)
        print(f"- {t}: p50 overhead at concurrency 1 ≤ 1 ms: **{'PASS' if ok else 'FAIL'}** (worst {worst:+.2f} ms)")
        state = ledger.get(t, {})
        calls = sum(r["result"]["total_ok"] for r in mine if r["labels"]["shape"] == "one")
        if "balance_micros" in state and calls:
            spent = 1_000_000_000_000 - state["balance_micros"] - state["held_micros"]
            # 9 prompt + 10 completion tokens at 0.15 / 0.60 per 1M = 7.35 micros, rounded up once per call
            exact = spent == calls * 8 and state["held_micros"] == 0
            print(f"- {t}: billing **{'EXACT' if exact else 'WRONG'}**: the busy account was charged {spent:,} micros "
                  f"for {calls:,} successful calls ({spent / calls:.2f} per call; expected 8: 7.35 rounded up), "
                  f"{state['held_micros']:,} micros still held after waiting up to 30 s")
        else:
            print(f"- {t}: could not read the busy account's balance: {state}")
        for r in mine:
            l, g = r["labels"], r["result"]
            if l["conc"] == 32 and l["shape"] == "one":
                ok = g["rps"] >= 2000 and g["errors"] == 0
                print(f"- {t}: {l['mode']} at concurrency 32 from one account ≥ 2,000 req/s: "
                      f"**{'PASS' if ok else 'FAIL'}** ({g['rps']:,.0f} req/s)")
EOF
}

# Replaces (or appends) the section between <!-- NAME --> and <!-- /NAME --> in bench/RESULTS.md:
# the sections other scripts write (slow-clients.sh, cluster.sh) survive each other's runs.
write_marked_section() {
  local name=$1 section=$2 file=$ROOT/bench/RESULTS.md
  python3 - "$file" "$name" "$section" <<'PY'
import os, sys
path, name, section = sys.argv[1], sys.argv[2], sys.argv[3]
begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
text = open(path).read() if os.path.exists(path) else "# apimodels benchmark\n"
block = f"{begin}\n{section}\n{end}\n"
if begin in text and end in text:
    text = text[:text.index(begin)] + block + text[text.index(end) + len(end) + 1:]
else:
    text = text.rstrip("\n") + "\n\n" + block
open(path, "w").write(text)
PY
}

machine() {
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- command: \`${BENCH_AUTOGROUP_NICE:+BENCH_AUTOGROUP_NICE=$BENCH_AUTOGROUP_NICE }BENCH_DURATION=$DURATION BENCH_WARMUP=$WARMUP bench/run.sh\` (transports: $TRANSPORTS)"
  echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/^Mem:/ {print $2}') GB RAM, shared by the load generator, the mock, the gateway and PostgreSQL"
  echo "- java: $(java -version 2>&1 | head -n 1); gateway JVM options: \`$GATEWAY_JAVA_OPTS\`"
  echo "- PostgreSQL: $("$PG_BIN/postgres" --version), default settings but max_connections=200"
  echo "- commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)$( [[ -z $(git -C "$ROOT" status --porcelain 2>/dev/null) ]] || echo ' (with uncommitted changes)')"
}

main() {
  local direct_only=false
  case "${1:-}" in
    --direct-only) direct_only=true ;;
    "") ;;
    *) die "usage: bench/run.sh [--direct-only]" ;;
  esac
  claim_cpu "$@"
  trap cleanup EXIT
  trap 'exit 130' INT TERM

  if [[ ${BENCH_SKIP_BUILD:-} != 1 ]]; then
    log "building"
    if $direct_only; then
      (cd "$ROOT" && mvn -q -DskipTests package -pl bench)
    else
      (cd "$ROOT" && mvn -q -DskipTests package -pl samples/quickstart,bench -am)
    fi
  fi
  [[ -f $BENCH_JAR ]] || die "$BENCH_JAR is missing"
  $direct_only || [[ -f $QUICKSTART_JAR || -n $CUSTOM_GATEWAY ]] || die "$QUICKSTART_JAR is missing"

  require_free_port "$MOCK_PORT"
  require_free_port "$SLOW_MOCK_PORT"
  start_process mock java $MOCK_JAVA_OPTS -jar "$BENCH_JAR" mock --port "$MOCK_PORT"
  wait_ready "http://127.0.0.1:$MOCK_PORT/v1/models" "$LAST_PID" mock 30
  start_process mock-slow java $MOCK_JAVA_OPTS -jar "$BENCH_JAR" mock --port "$SLOW_MOCK_PORT" \
    --chunks "$HELD_CHUNKS" --chunk-interval-ms "$HELD_INTERVAL_MS"
  wait_ready "http://127.0.0.1:$SLOW_MOCK_PORT/v1/models" "$LAST_PID" mock-slow 30

  log "direct to the mock"
  prewarm "http://127.0.0.1:$MOCK_PORT" bench
  run_scenarios direct "http://127.0.0.1:$MOCK_PORT" -
  held_streams direct "http://127.0.0.1:$SLOW_MOCK_PORT" - bench
  if ! $direct_only; then
    [[ $COMPARE != *portkey* ]] || bench_portkey
    for transport in $TRANSPORTS; do
      log "through apimodels, $transport transport"
      bench_gateway "$transport"
    done
  fi

  local table
  table=$(report)
  echo "$table"
  if ! $direct_only; then
    # Only this script's section is replaced: the others' sections and the notes around them stay.
    write_marked_section gateway "## One node against the mock (bench/run.sh)
$(echo; machine; echo; echo "$table")"
    log "wrote bench/RESULTS.md"
  fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi
