#!/usr/bin/env bash
# Retention in PostgreSQL, measured (issue 17: "time-partitioned tables or batched deletes"):
# the query log's own table shape, filled with ROWS rows a day for DAYS days, in a private
# cluster; then the oldest day removed both ways: DROP of its day partition (what the daemon
# does), and batched DELETEs of 10,000 rows on a plain table with a time index followed by the
# VACUUM that makes the space reusable. Prints each one's time and the disk the table takes
# before and after (a plain table keeps its size after a DELETE, the space is only reusable).
#
#   tests/bench/querylog-retention.sh [ROWS_PER_DAY] [DAYS]   (default 500000 3)
set -euo pipefail
per_day=${1:-500000}; days=${2:-3}
work=$(mktemp -d /tmp/pgretention.XXXX)
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as=(); if [[ $(id -u) == 0 ]]; then chown postgres "$work"; as=(runuser -u postgres --); fi
trap '"${as[@]}" "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"${as[@]}" "$pgbin/initdb" -D "$work/pg" -U misinkhole --auth=trust -E UTF8 >/dev/null
"${as[@]}" "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w start -o "-c listen_addresses=127.0.0.1 -p 5394 -k $work" >/dev/null
psql() { "${as[@]}" "$pgbin/psql" -h 127.0.0.1 -p 5394 -U misinkhole -d postgres -A -t -q -v ON_ERROR_STOP=1 "$@"; }
day=86400000
columns="id bigint NOT NULL, time bigint NOT NULL, instance text NOT NULL, device text NOT NULL, client text NOT NULL, name text NOT NULL, type text NOT NULL, outcome text NOT NULL, action text, list text, rule text, rcode integer, latency_ms double precision, count integer NOT NULL DEFAULT 1, forwarder text"
fill="SELECT g, (g / $per_day) * $day + (g % $per_day) * ($day / $per_day), 'pi', 'phone-' || (g % 20), '192.168.1.' || (g % 200), 'n' || (g % 50000) || '.tracking.miui.com', 'A', 'blocked', 'blocked', 'xiaomi-telemetry', 'miui.com', 0, 0.2, 1, NULL FROM generate_series(0, $((per_day * days - 1))) g"
psql -c "CREATE TABLE parted ($columns, PRIMARY KEY (id, time)) PARTITION BY RANGE (time); CREATE INDEX ON parted (time); CREATE INDEX ON parted (device, time);"
for d in $(seq 0 $((days - 1))); do psql -c "CREATE TABLE parted_d$d PARTITION OF parted FOR VALUES FROM ($((d * day))) TO ($(((d + 1) * day)))"; done
psql -c "CREATE TABLE plain ($columns, PRIMARY KEY (id)); CREATE INDEX ON plain (time); CREATE INDEX ON plain (device, time);"
psql -c "INSERT INTO parted $fill" -c "INSERT INTO plain $fill" -c "ANALYZE"
size() { psql -c "SELECT pg_size_pretty($1)"; }
echo "$per_day rows a day, $days days: partitioned $(size "(SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'parted'::regclass)"), plain $(size "pg_total_relation_size('plain')")"

t0=$(date +%s.%N)
psql -c "DROP TABLE parted_d0"
t1=$(date +%s.%N)
echo "drop the oldest day's partition: $(python3 -c "print(f'{($t1-$t0)*1000:.0f} ms')"), partitioned now $(size "(SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'parted'::regclass)")"

t0=$(date +%s.%N)
while [[ $(psql -c "WITH gone AS (DELETE FROM plain WHERE id IN (SELECT id FROM plain WHERE time < $day LIMIT 10000) RETURNING 1) SELECT count(*) FROM gone") != 0 ]]; do :; done
t1=$(date +%s.%N)
psql -c "VACUUM plain"
t2=$(date +%s.%N)
echo "delete the oldest day in batches of 10000: $(python3 -c "print(f'{($t1-$t0)*1000:.0f} ms')"), then VACUUM $(python3 -c "print(f'{($t2-$t1)*1000:.0f} ms')"), plain now $(size "pg_total_relation_size('plain')")"
