#!/usr/bin/env bash
# The query log in PostgreSQL against the SQLite file, under load (issue 17): the same daemon
# (QueryLog:Record All, so every query is an event) answers dnsperf on one query set of the
# shared harness, once logging to SQLite and once to a private PostgreSQL cluster (initdb in the
# scratch folder, as the postgres user under root; fsync on, its defaults). Per store: queries per
# second and per server CPU-second, events written per second, events dropped (the queue's
# bound: QueryLog:QueueSize), and for PostgreSQL the rows it holds afterwards. Server on core 0;
# dnsperf, the upstream and PostgreSQL on core 1, as the other local benches.
#
#   tests/bench/querylog-postgres.sh PUBLISH_DIR SECONDS [SET] [ROUNDS]
#   (SET default mix-100k-r1; ROUNDS default 2, alternating the stores)
#   RATE=N: dnsperf sends N queries/s (-Q), below the log's bound: nothing may drop;
#   QUEUE=N, FLUSH=1s: QueryLog:QueueSize and FlushInterval (the bound is QUEUE events a flush:
#   raise it to find what each store can write).
#
# Needs the harness data (tests/bench/run.sh generates it into $BENCH_OUT, default
# /tmp/misinkhole-bench), unbound, dnsperf, dig, curl, Debian's postgresql.
set -euo pipefail
pub=${1:?usage: querylog-postgres.sh PUBLISH_DIR SECONDS [SET] [ROUNDS]}; secs=${2:?seconds}; set=${3:-mix-100k-r1}; rounds=${4:-2}
source "$(dirname "$0")/local-peers.sh"
bench_scratch pglog
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as=(); if [[ $(id -u) == 0 ]]; then chown postgres "$work"; as=(runuser -u postgres --); fi
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; "${as[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"${as[@]}" "$pgbin/initdb" -D "$work/pg" -U misinkhole --auth=trust -E UTF8 >/dev/null
"${as[@]}" taskset -c 1 "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w start -o "-c listen_addresses=127.0.0.1 -p 5393 -k $work" >/dev/null
psql() { "${as[@]}" "$pgbin/psql" -h 127.0.0.1 -p 5393 -U misinkhole -d postgres -A -t -c "$1"; }
start_upstream
tick=$(getconf CLK_TCK)
metric() { curl -s http://127.0.0.1:9392/metrics | awk -v m="$1" '$1 ~ "^"m"(\\{|$)" {s+=$2} END {printf "%d", s}'; }

for round in $(seq 1 "$rounds"); do
  for store in sqlite postgres; do
    rm -rf "$work/data"
    log="\"Record\": \"All\", \"FlushInterval\": \"${FLUSH:-1s}\", \"QueueSize\": ${QUEUE:-4096}"
    [[ $store == postgres ]] && log+=', "Provider": "Postgres", "ConnectionString": "Host=127.0.0.1;Port=5393;Username=misinkhole;Database=postgres"'
    EXTRA=", \"QueryLog\": { $log }" start_server "$pub"
    taskset -c 1 dnsperf -s 127.0.0.1 -p 5392 -d "$D/queries/$set.txt" -l 5 -c 4 -T 1 -q 100 >/dev/null 2>&1  # warm
    sleep 2
    w0=$(metric misinkhole_querylog_written_total); d0=$(metric misinkhole_querylog_dropped_total)
    read -r u0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat)
    out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p 5392 -d "$D/queries/$set.txt" -l "$secs" -c 4 -T 1 -q 100 ${RATE:+-Q $RATE} 2>&1)
    read -r u1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
    sleep 3 # the last flushes
    w1=$(metric misinkhole_querylog_written_total); d1=$(metric misinkhole_querylog_dropped_total)
    q=$(awk '/Queries completed/ {print $3}' <<<"$out")
    rows=""; [[ $store == postgres ]] && rows="  rows in PostgreSQL $(psql 'SELECT count(*) FROM queries'), queries they stand for $(psql 'SELECT sum(count) FROM queries')"
    python3 -c "u=($u1-$u0)/$tick; s=($s1-$s0)/$tick; q=$q; print(f'round $round $store: {q/$secs:8.0f} qps  {q/(u+s):8.0f} q/CPU-s  events written {($w1-$w0)/$secs:8.0f}/s  dropped {$d1-$d0}$rows')"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    [[ $store == postgres ]] && psql 'TRUNCATE queries' >/dev/null
  done
done
