#!/usr/bin/env bash
# Where the daemon's memory goes under load, phase by phase: our daemon on the shared harness's
# 100k hosts list, forwarding to a loopback unbound that answers every *.test name, driven
# through the harness's blocked, hit, miss and mix query files for SECONDS each. After start and
# after each phase it prints VmRSS and VmHWM, the GC's committed bytes and allocations so far
# (from /metrics), and RSS split into file-backed pages (the program's and .NET's libraries), the
# runtime's double-mapped executable memory (W^X: JIT code, stubs, loader heaps), anonymous
# memory (GC regions, native allocations) and the largest anonymous mappings.
#
#   tests/bench/memory-phases.sh PUBLISH_DIR [SECONDS] [ENV=VALUE ...]
#   EXTRA=', "QueryLog": { "Record": "None" }' tests/bench/memory-phases.sh …   (extra config keys)
#
# Needs the harness data (tests/bench/run.sh generates it into $BENCH_OUT, default
# /tmp/misinkhole-bench), unbound, dnsperf, dig, curl, python3. Server on core 0, the rest on core 1.
set -euo pipefail
publish=$(cd "${1:?usage: memory-phases.sh PUBLISH_DIR [SECONDS] [ENV=VALUE ...]}" && pwd)
seconds=${2:-10}
shift $(( $# >= 2 ? 2 : 1 ))
data=${BENCH_OUT:-/tmp/misinkhole-bench}/data
[[ -f $data/lists/block-100k.hosts ]] || { echo "no harness data in $data: run tests/bench/run.sh once" >&2; exit 1; }
work=$(mktemp -d /tmp/memory-phases.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

cat > "$work/upstream.conf" <<CONF
server:
  interface: 127.0.0.1@5391
  num-threads: 1
  access-control: 127.0.0.0/8 allow
  chroot: ""
  username: ""
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 0
  local-zone: "test." redirect
  local-data: "test. 3600 IN A 192.0.2.1"
CONF
taskset -c 1 unbound -d -c "$work/upstream.conf" >/dev/null 2>&1 & pids+=($!)
cat > "$work/config.json" <<CONF
{ "Dns": { "Listen": [ "127.0.0.1:5392" ], "AllowedClients": [ "private" ] },
  "Upstreams": { "Servers": [ "127.0.0.1:5391" ] }, "Cache": { "MaxEntries": 10000 },
  "Lists": { "bench": { "Sources": [ "$data/lists/block-100k.hosts" ] } },
  "Policies": { "block": { "Block": [ "bench" ], "BlockResponse": "NullIp" } }, "DefaultPolicy": "block",
  "Http": { "Listen": "127.0.0.1:9392" }, "DataDirectory": "$work/data" ${EXTRA:-} }
CONF
env "$@" taskset -c 0 "$publish/misinkhole" run --config "$work/config.json" >"$work/daemon.log" 2>&1 & pid=$!
pids+=("$pid")
for _ in $(seq 1 300); do
  dig +short +tries=1 +time=1 -p 5392 @127.0.0.1 probe.example-allowed.test A 2>/dev/null | grep -q . && break
  sleep 0.1
done
sleep 1

report() { # PHASE
  printf '%-14s' "$1"
  awk '/VmRSS|VmHWM/ {printf "%s %d MB  ", $1, $2/1024}' "/proc/$pid/status"
  curl -s http://127.0.0.1:9392/metrics | awk '
    /^dotnet_gc_last_collection_memory_committed_size_bytes/ {printf "GC committed %d MB  ", $2/1048576}
    /^dotnet_gc_heap_total_allocated_bytes_total/ {printf "allocated %d MB  ", $2/1048576}'
  echo
  python3 - "$pid" <<'PY'
import collections, re, sys
agg = collections.Counter(); big = []; current = None
for line in open(f"/proc/{sys.argv[1]}/smaps"):
    m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$", line)
    if m:
        name = m.group(3).strip() or "anon"
        # W^X's double mapping holds the runtime's executable memory (JIT code, stubs, loader heaps)
        kind = "doublemapped" if name.startswith("/memfd:doublemapper") else "files" if "/" in name else name
        current = (kind, (int(m.group(2), 16) - int(m.group(1), 16)) // 1024)
    elif line.startswith("Rss:") and current:
        rss = int(line.split()[1]); agg[current[0]] += rss
        if current[0] == "anon" and rss > 2048: big.append(rss // 1024)
print("              " + ", ".join(f"{k} {v // 1024} MB" for k, v in agg.most_common(4)) + f"; anonymous mappings over 2 MB: {sorted(big, reverse=True)[:8]} MB")
PY
}

report ready
before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
for set in blocked-100k hit miss-r1 mix-100k-r1; do
  out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p 5392 -d "$data/queries/$set.txt" -l "$seconds" -c 4 -T 1 -q 100 2>&1)
  report "${set%%-*} $(awk '/Queries per second/ {printf "%dk", $4 / 1000}' <<<"$out")"
done
echo "server CPU $(( $(awk '{print $14 + $15}' "/proc/$pid/stat") - before )) ticks"
