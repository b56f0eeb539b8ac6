#!/usr/bin/env bash
# What PostgreSQL does per call: one quickstart (JAR, this tree's by default) on a throw-away
# PostgreSQL with pg_stat_statements loaded, warmed up, then one non-streamed run from one busy
# account (BENCH_DURATION seconds at PGSTAT_CONC clients, 32) with the statistics reset before it.
# Prints per successful call: WAL bytes, records and full-page images, commits, rows inserted and
# updated, then each statement's calls, rows and execution time per call (nested statements too:
# a foreign key's check shows as its own SELECT ... FOR KEY SHARE), and the tables' row counts.
#
#   bench/pgstat.sh [samples/quickstart/target/apimodels-quickstart.jar]
#
# Hold the bench lock while it runs. Execution times include lock waits (a statement waiting on a
# row another transaction holds); the CPU per call to compare between builds is bench/ab.sh's.
set -euo pipefail
export BENCH_WARMUP=${BENCH_WARMUP:-0}
# shellcheck source=run.sh
source "$(dirname "${BASH_SOURCE[0]}")/run.sh"
JAR=${1:-$QUICKSTART_JAR}
CONC=${PGSTAT_CONC:-32}
[[ -f $JAR && -f $BENCH_JAR ]] || die "$JAR or $BENCH_JAR is missing"
# start_pg with pg_stat_statements preloaded (tracking nested statements as well).
eval "$(declare -f start_pg | sed 's/-c max_connections=200/-c max_connections=200 -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all/')"
trap cleanup EXIT
trap 'exit 130' INT TERM

require_free_port "$MOCK_PORT"
start_process mock java $MOCK_JAVA_OPTS -jar "$BENCH_JAR" mock --port "$MOCK_PORT"
wait_ready "http://127.0.0.1:$MOCK_PORT/v1/models" "$LAST_PID" mock 30
start_pg
GATEWAY_CMD="java $GATEWAY_JAVA_OPTS -jar $JAR" start_gateway jetty
create_accounts 1 "$WORK/one.keys"
PSQL=$(command -v psql || echo "$PG_BIN/psql")
q() { as_pg_user "$PSQL" -X -q -A -P footer=off -F ' | ' -h "$PG_DIR" -p "$PG_PORT" -U apimodels postgres -c "$1" "${@:2}"; }
q "CREATE EXTENSION pg_stat_statements"
log "warming up for ${PREWARM}s"
DURATION=$PREWARM loadgen --url "$(chat_url "$GATEWAY")" --concurrency "$CONC" --keys "$WORK/one.keys" >/dev/null
q "SELECT pg_stat_statements_reset(), pg_stat_reset_shared('wal'), pg_stat_reset()" >/dev/null
result=$(loadgen --url "$(chat_url "$GATEWAY")" --concurrency "$CONC" --keys "$WORK/one.keys")
echo "$result"
ok=$(echo "$result" | python3 -c 'import json, sys; print(json.load(sys.stdin)["total_ok"])')
echo "calls: $ok"
echo
q "SELECT round(wal_bytes / $ok) AS wal_bytes_per_call, round(wal_records::numeric / $ok, 2) AS wal_records_per_call,
          round(wal_fpi::numeric / $ok, 3) AS full_page_images_per_call FROM pg_stat_wal"
echo
q "SELECT xact_commit AS commits, round(xact_commit::numeric / $ok, 4) AS commits_per_call,
          round(tup_inserted::numeric / $ok, 2) AS rows_inserted_per_call, round(tup_updated::numeric / $ok, 3) AS rows_updated_per_call
     FROM pg_stat_database WHERE datname = 'postgres'"
echo
q "SELECT calls, round(calls::numeric / $ok, 3) AS per_call, round(rows::numeric / $ok, 3) AS rows_per_call,
          round(total_exec_time::numeric * 1000 / $ok, 2) AS exec_us_per_call, round(wal_bytes / $ok) AS wal_bytes_per_call,
          left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS statement
     FROM pg_stat_statements WHERE calls > 0 ORDER BY total_exec_time DESC LIMIT 20"
echo
q "SELECT relname AS table, n_tup_ins AS inserted, n_tup_upd AS updated, n_tup_hot_upd AS hot_updated
     FROM pg_stat_user_tables WHERE n_tup_ins + n_tup_upd > 0 ORDER BY n_tup_ins DESC"
