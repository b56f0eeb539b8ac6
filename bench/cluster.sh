#!/usr/bin/env bash
# Two quickstart nodes on one PostgreSQL behind nginx: throughput of one node against two (each
# measured through nginx, so both pay the same proxy hop), from one busy account and from 100
# accounts, non-streamed and streamed at concurrency 32; then the money invariants checked in SQL
# across everything both nodes did. Writes the "Several nodes" section of bench/RESULTS.md.
#
#   bench/cluster.sh
#
# Installs nginx and the PostgreSQL client from Debian's packages when missing (needs root).
# Environment: BENCH_DURATION (measured seconds per run, 10), BENCH_WARMUP (3), BENCH_PREWARM (15),
# BENCH_TRANSPORTS (first one used: jetty), BENCH_SKIP_BUILD=1, GATEWAY_JAVA_OPTS, PG_BIN, as bench/run.sh.
#
# On a 2-core machine the load generator, the mock, nginx, PostgreSQL and both nodes share the
# cores: two nodes cannot double anything here; the figure says what a second node costs or buys
# when the cores are the limit, and the invariants say that two nodes keep the money exact.
set -euo pipefail

# shellcheck source=bench/run.sh
source "$(dirname "${BASH_SOURCE[0]}")/run.sh"
TRANSPORT=${BENCH_TRANSPORTS:-jetty}
TRANSPORT=${TRANSPORT%% *}
NODE_PORTS=(18080 18090)
LB_BOTH_PORT=18070 LB_ONE_PORT=18071

install_tools() {
  local missing=()
  command -v nginx >/dev/null || missing+=(nginx-light)
  command -v psql >/dev/null || missing+=(postgresql-client)
  ((${#missing[@]} == 0)) && return 0
  [[ $(id -u) -eq 0 ]] || die "install ${missing[*]} (or run as root)"
  log "installing ${missing[*]} from Debian's packages"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >"$WORK/apt.log" 2>&1 \
    || { apt-get update -q >>"$WORK/apt.log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >>"$WORK/apt.log" 2>&1; } \
    || { tail -n 20 "$WORK/apt.log" >&2; die "apt-get install failed"; }
}

# nginx in the foreground with its own prefix: one port balanced over both nodes, one on node 1 only.
start_nginx() {
  require_free_port "$LB_BOTH_PORT"
  require_free_port "$LB_ONE_PORT"
  mkdir -p "$WORK/nginx/logs"
  cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  upstream both { least_conn; server 127.0.0.1:${NODE_PORTS[0]}; server 127.0.0.1:${NODE_PORTS[1]}; keepalive 128; }
  upstream one { server 127.0.0.1:${NODE_PORTS[0]}; keepalive 128; }
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_buffering off;
  proxy_read_timeout 120s;
  server { listen 127.0.0.1:$LB_BOTH_PORT; location / { proxy_pass http://both; } }
  server { listen 127.0.0.1:$LB_ONE_PORT; location / { proxy_pass http://one; } }
}
EOF
  start_process nginx nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf"
  wait_ready "http://127.0.0.1:$LB_BOTH_PORT/health/ready" "$LAST_PID" nginx 30
}

psql_value() {
  PGPASSWORD=$PG_PASSWORD psql -h 127.0.0.1 -p "$PG_PORT" -U apimodels -d postgres -At -c "$1"
}

# Every invariant of the ledger over what both nodes wrote, once every hold has ended.
check_invariants() {
  local deadline=$((SECONDS + 60))
  until [[ $(psql_value "SELECT count(*) FROM apimodels_hold WHERE state = 'pending'") == 0 ]]; do
    # Leases are given back after apimodels.ledger.lease-idle-ms; a balance read gives them back at once.
    while read -r key; do
      curl -s -o /dev/null -H "Authorization: Bearer $key" "http://127.0.0.1:${NODE_PORTS[0]}/api/v1/account"
      curl -s -o /dev/null -H "Authorization: Bearer $key" "http://127.0.0.1:${NODE_PORTS[1]}/api/v1/account"
    done <"$WORK/one.keys"
    ((SECONDS < deadline)) || break
    sleep 1
  done
  python3 - "$WORK/invariants.json" <<EOF
import json, sys
checks = {
  "sum of all ledger balances (must be 0)": "$(psql_value "SELECT coalesce(sum(balance), 0) FROM apimodels_ledger_account")",
  "wallets or hold accounts below zero (must be 0)": "$(psql_value "SELECT count(*) FROM apimodels_ledger_account WHERE kind IN ('wallet', 'hold') AND balance < 0")",
  "holds still pending (must be 0)": "$(psql_value "SELECT count(*) FROM apimodels_hold WHERE state = 'pending'")",
  "hold accounts not empty (must be 0)": "$(psql_value "SELECT count(*) FROM apimodels_ledger_account WHERE kind = 'hold' AND balance <> 0")",
  "charged minus logged cost of successful calls (must be 0)": "$(psql_value "SELECT (SELECT coalesce(sum(amount), 0) FROM apimodels_transfer WHERE kind = 'post') - (SELECT coalesce(sum(cost_micros - uncollected_micros), 0) FROM apimodels_call_log)")",
  "calls logged": "$(psql_value "SELECT count(*) FROM apimodels_call_log")",
}
json.dump(checks, open(sys.argv[1], "w"))
EOF
}

cluster_report() {
  python3 - "$RESULTS" "$WORK/invariants.json" <<'PY'
import json, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
inv = json.load(open(sys.argv[2]))
by = {(r["labels"]["nodes"], r["labels"]["mode"], r["labels"]["shape"]): r["result"] for r in runs}
print("| calls (c=32) | 1 node: req/s, p50 / p99 ms | 2 nodes: req/s, p50 / p99 ms | 2 ÷ 1 | errors (1 / 2) |")
print("|---|---:|---:|---:|---:|")
for mode in ("non-stream", "stream"):
    for shape, label in (("one", "one account"), ("many", "100 accounts")):
        a, b = by[(1, mode, shape)], by[(2, mode, shape)]
        print(f"| {mode}, {label} | {a['rps']:,.0f}, {a['p50_ms']:.2f} / {a['p99_ms']:.2f} | {b['rps']:,.0f}, {b['p50_ms']:.2f} / {b['p99_ms']:.2f} "
              f"| {b['rps'] / a['rps']:.2f}× | {a['errors']} / {b['errors']} |")
print()
ok = True
print("| invariant over both nodes' writes | value |")
print("|---|---:|")
for name, value in inv.items():
    print(f"| {name} | {value} |")
    if "must be 0" in name:
        ok = ok and value.strip() == "0"
print()
print(f"Money invariants across two nodes: **{'PASS' if ok else 'FAIL'}**")
PY
}

cluster_main() {
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  install_tools
  if [[ ${BENCH_SKIP_BUILD:-} != 1 ]]; then
    log "building"
    (cd "$ROOT" && mvn -q -DskipTests package -pl samples/quickstart,bench -am)
  fi
  [[ -f $BENCH_JAR && -f $QUICKSTART_JAR ]] || die "build the quickstart and bench first"

  require_free_port "$MOCK_PORT"
  start_process mock java $MOCK_JAVA_OPTS -jar "$BENCH_JAR" mock --port "$MOCK_PORT"
  wait_ready "http://127.0.0.1:$MOCK_PORT/v1/models" "$LAST_PID" mock 30
  start_pg
  KEY_PEPPER=$(random_secret)$(random_secret)
  unset ADMIN_KEY
  start_gateway "$TRANSPORT" "${NODE_PORTS[0]}" node-1
  start_gateway "$TRANSPORT" "${NODE_PORTS[1]}" node-2
  start_nginx

  GATEWAY=http://127.0.0.1:$LB_BOTH_PORT create_accounts $((ACCOUNTS + 1)) "$WORK/all.keys"
  head -n 1 "$WORK/all.keys" >"$WORK/one.keys"
  tail -n +2 "$WORK/all.keys" >"$WORK/many.keys"
  log "created $((ACCOUNTS + 1)) accounts; warming both nodes up"
  prewarm "http://127.0.0.1:$LB_BOTH_PORT" "$WORK/many.keys"

  local nodes port mode shape flag
  for nodes in 1 2; do
    port=$LB_ONE_PORT
    ((nodes == 1)) || port=$LB_BOTH_PORT
    for mode in non-stream stream; do
      for shape in one many; do
        flag=()
        [[ $mode == non-stream ]] || flag=(--stream)
        measure "{\"nodes\":$nodes,\"mode\":\"$mode\",\"shape\":\"$shape\"}" \
          --url "$(chat_url "http://127.0.0.1:$port")" --concurrency 32 --keys "$WORK/$shape.keys" "${flag[@]}"
      done
    done
  done
  check_invariants

  local section
  section=$(
    echo "## Several nodes"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)"
    echo "- command: \`BENCH_DURATION=$DURATION BENCH_WARMUP=$WARMUP bench/cluster.sh\` ($TRANSPORT transport)"
    echo "- two quickstart nodes (\`$GATEWAY_JAVA_OPTS\` each) on one PostgreSQL, nginx (least_conn, keep-alive) in front;" \
         "\"1 node\" goes through the same nginx to node 1 only; $(nproc) cores shared by everything"
    echo
    cluster_report
  )
  echo "$section"
  write_marked_section cluster "$section"
  log "wrote the Several nodes section of bench/RESULTS.md"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then cluster_main "$@"; fi
