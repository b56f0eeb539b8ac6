#!/usr/bin/env bash
# Slow-body clients against the quickstart on PostgreSQL: /health/ready and chat latency measured
# alone, then again while SLOW_CONNECTIONS connections dribble request bodies (headers with
# Content-Length: 1034, then one byte every 2 s; a third with a valid key to the chat route, a
# third without a key, a third to an unknown path; reopened when answered). Target: p99 < 50 ms
# under the slow clients. Writes the "Slow clients" section of bench/RESULTS.md.
#
#   bench/slow-clients.sh
#
# Environment: SLOW_CONNECTIONS (1000), BENCH_DURATION (measured seconds per run, 20), BENCH_WARMUP (3),
# BENCH_TRANSPORTS (first one used: jdk), BENCH_SKIP_BUILD=1, GATEWAY_JAVA_OPTS, PG_BIN, as bench/run.sh.
set -euo pipefail

# shellcheck source=bench/run.sh
source "$(dirname "${BASH_SOURCE[0]}")/run.sh"
SLOW_CONNECTIONS=${SLOW_CONNECTIONS:-1000}
DURATION=${BENCH_DURATION:-20}
TRANSPORT=${BENCH_TRANSPORTS:-jdk}
TRANSPORT=${TRANSPORT%% *}

# Health (GET, 2 clients) and chat (POST, 4 clients) measured at the same time; LABEL names the phase.
measure_both() {
  local label=$1
  loadgen --url "$GATEWAY/health/ready" --get --concurrency 2 >"$WORK/health-$label.json" &
  local health=$!
  loadgen --url "$(chat_url "$GATEWAY")" --concurrency 4 --keys "$WORK/one.keys" >"$WORK/chat-$label.json"
  wait "$health"
  log "  $label: health $(cat "$WORK/health-$label.json")"
  log "  $label: chat   $(cat "$WORK/chat-$label.json")"
}

slow_report() {
  python3 - "$WORK" "$SLOW_CONNECTIONS" <<'PY'
import json, sys
work, slow = sys.argv[1], int(sys.argv[2])
def read(name):
    return json.load(open(f"{work}/{name}.json"))
print("| calls | slow clients | req/s | p50 / p99 / max ms | errors |")
print("|---|---:|---:|---:|---:|")
ok = True
for what, name in (("GET /health/ready, c=2", "health"), ("chat, non-stream, c=4", "chat")):
    for phase, n in (("alone", 0), ("slow", slow)):
        r = read(f"{name}-{phase}")
        errors = str(r["errors"]) + (" " + json.dumps(r["error_kinds"]) if r["errors"] else "")
        print(f"| {what} | {n:,} | {r['rps']:,.0f} | {r['p50_ms']:.2f} / {r['p99_ms']:.2f} / {r['max_ms']:.2f} | {errors} |")
        if phase == "slow":
            ok = ok and r["p99_ms"] < 50 and r["errors"] == 0
print()
print(f"Target: p99 < 50 ms and no errors while {slow:,} slow-body connections are open: **{'PASS' if ok else 'FAIL'}**")
PY
}

slow_main() {
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  if [[ ${BENCH_SKIP_BUILD:-} != 1 ]]; then
    log "building"
    (cd "$ROOT" && mvn -q -DskipTests package -pl samples/quickstart,bench -am)
  fi
  require_free_port "$MOCK_PORT"
  start_process mock java $MOCK_JAVA_OPTS -jar "$BENCH_JAR" mock --port "$MOCK_PORT"
  wait_ready "http://127.0.0.1:$MOCK_PORT/v1/models" "$LAST_PID" mock 30
  start_pg
  start_gateway "$TRANSPORT"
  create_accounts 2 "$WORK/all.keys"
  head -n 1 "$WORK/all.keys" >"$WORK/one.keys"
  tail -n 1 "$WORK/all.keys" >"$WORK/slow.key"
  log "warming the gateway up"
  DURATION=15 WARMUP=0 loadgen --url "$(chat_url "$GATEWAY")" --concurrency 4 --keys "$WORK/one.keys" >/dev/null

  log "measured alone"
  measure_both alone
  log "starting $SLOW_CONNECTIONS slow-body connections"
  start_process slow java -Xmx256m -jar "$BENCH_JAR" slow --port "$GATEWAY_PORT" \
    --connections "$SLOW_CONNECTIONS" --interval-ms 2000 --key "$(cat "$WORK/slow.key")"
  local slow_pid=$LAST_PID
  sleep 15 # every connection opened and sending (the client reports every 10 s)
  kill -0 "$slow_pid" || die "the slow clients exited"
  log "measured under slow clients"
  measure_both slow
  log "slow clients: $(tail -n 1 "$WORK/slow.log")"
  stop_process "$slow_pid"
  local refusals
  refusals=$(grep -c "Refused slow request bodies" "$WORK/gateway-$TRANSPORT.log" || true)

  local table
  table=$(slow_report)
  echo "$table"
  write_marked_section slow-clients "## Slow clients

- date: $(date -u '+%Y-%m-%d %H:%M UTC'); command: \`bench/slow-clients.sh\` (SLOW_CONNECTIONS=$SLOW_CONNECTIONS, ${DURATION} s per run, $TRANSPORT transport, PostgreSQL)
- machine: $(nproc) cores, shared by the slow clients, the load generators, the mock, the gateway and PostgreSQL; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (anything else running on the machine shows in the \"alone\" rows too: compare the rows, not only the target)
- slow clients: headers with \`Content-Length: 1034\`, then one body byte every 2 s; a third with a key to the chat route (each answered 408 after the 30 s body deadline, then reopened), a third without a key (401 at once, reopened), a third to an unknown path (404 at once, reopened). The gateway logged $refusals rate-limited \"Refused slow request bodies\" line(s).

$table"
  log "wrote the slow-clients section of bench/RESULTS.md"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then slow_main "$@"; fi
