#!/usr/bin/env bash
# The daemon under a hard memory limit (default 128 MB) with the harness's 1M list: every query
# set of the harness at full rate, then a refresh of the 1M list (its file changed under a mix
# flood), all inside a memory cgroup. Reports the cgroup's peak, whether the kernel hit the limit
# or OOM-killed anything, the queries dnsperf lost, and that the refresh happened.
#
#   tests/bench/memory-limit.sh PUBLISH_DIR [SECONDS] [LIMIT_MB]
#   REFRESH_SET=blocked-1m (the set flooding during the refresh; default mix-1m-r1)
#
# Run as root (it makes the cgroup: v2 when /sys/fs/cgroup is the unified hierarchy, else the v1
# memory controller; `systemd-run --scope -p MemoryMax=128M` is the same thing on a systemd
# host). The .NET runtime reads the limit at start and sizes its GC to it. Needs the harness
# data (tests/bench/run.sh makes it), unbound, dnsperf, dig.
set -euo pipefail
pub=${1:?usage: memory-limit.sh PUBLISH_DIR [SECONDS] [LIMIT_MB]}; secs=${2:-10}; limit_mb=${3:-128}
source "$(dirname "$0")/local-peers.sh"
bench_scratch memlimit

if [[ -f /sys/fs/cgroup/cgroup.controllers ]] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
  echo +memory > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true  # a child gets memory.max
  cg=/sys/fs/cgroup/misinkhole-bench-$$; mkdir "$cg"
  echo $((limit_mb << 20)) > "$cg/memory.max"; echo 0 > "$cg/memory.swap.max" 2>/dev/null || true
  peak() { cat "$cg/memory.peak" 2>/dev/null || echo 0; }
  events() { awk '/^(max|oom|oom_kill) /{printf "%s=%s ", $1, $2}' "$cg/memory.events"; }
else
  cg=/sys/fs/cgroup/memory/misinkhole-bench-$$; mkdir "$cg"
  echo $((limit_mb << 20)) > "$cg/memory.limit_in_bytes"
  echo $((limit_mb << 20)) > "$cg/memory.memsw.limit_in_bytes" 2>/dev/null || true
  peak() { cat "$cg/memory.max_usage_in_bytes"; }
  events() { printf 'limit_hits=%s %s' "$(cat "$cg/memory.failcnt")" "$(awk '/oom_kill /{print "oom_kill=" $2}' "$cg/memory.oom_control")"; }
fi
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rmdir "$cg" 2>/dev/null || true; rm -rf "$work"' EXIT
printf '#!/bin/sh\necho $$ > "%s/cgroup.procs"\nexec "$@"\n' "$cg" > "$work/in-cgroup"; chmod +x "$work/in-cgroup"

start_upstream
cp "$D/lists/block-1m.hosts" "$work/list.hosts"
LIST=block-1m LIST_FILE="$work/list.hosts" WRAP="$work/in-cgroup" START_TRIES=150 start_server "$pub"
grep -qx "$pid" "$cg/cgroup.procs" || { echo "the daemon is not in $cg" >&2; exit 1; }
echo "limit ${limit_mb} MB ($cg); ready: RSS $(awk '/VmRSS/{print $2}' /proc/$pid/status) kB, cgroup peak $(( $(peak) >> 20 )) MB"

lost_total=0
run_set() {  # SET SECONDS
  local out; out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p 5392 -d "$D/queries/$1.txt" -l "$2" -c 4 -T 1 -q 100 2>&1)
  local sent lost slowest; sent=$(awk '/Queries sent/ {print $3}' <<<"$out"); lost=$(awk '/Queries lost/ {print $3}' <<<"$out")
  slowest=$(awk '/Average Latency/ {gsub(/[),]/, ""); print $NF * 1000}' <<<"$out")
  lost_total=$((lost_total + lost))
  echo "$1: sent $sent, lost $lost, slowest answer ${slowest} ms; RSS $(awk '/VmRSS/{print $2}' /proc/$pid/status) kB, cgroup peak $(( $(peak) >> 20 )) MB"
}
for set in blocked-1m hit miss-r1 mix-1m-r1; do run_set "$set" "$secs"; done

loads=$(grep -c 'Rules loaded' "$work/log")
rcvbuf() { awk '/^Udp:/ && ++n == 2 {print $6}' /proc/net/snmp; }
drops=$(rcvbuf)
(sleep 1; touch "$work/list.hosts") &
run_set "${REFRESH_SET:-mix-1m-r1}" "$((secs + 10))"
echo "UDP datagrams dropped on full receive buffers (whole host) during the refresh: $(( $(rcvbuf) - drops ))"
for _ in $(seq 1 300); do (( $(grep -c 'Rules loaded' "$work/log") > loads )) && break; sleep 0.1; done
refreshed=$(( $(grep -c 'Rules loaded' "$work/log") - loads ))
alive=yes; kill -0 "$pid" 2>/dev/null || alive=no
answer=$(dig +short +tries=1 +time=2 -p 5392 @127.0.0.1 probe.example-allowed.test A 2>/dev/null || true)
echo "list refreshes: $refreshed; daemon alive: $alive; answers after: ${answer:-none}; lost in all: $lost_total"
echo "cgroup peak $(( $(peak) >> 20 )) MB of ${limit_mb}; $(events)"
[[ $alive == yes && -n $answer && $refreshed -ge 1 && $lost_total -eq 0 ]]  # the exit status says whether it held
