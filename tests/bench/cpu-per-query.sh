#!/usr/bin/env bash
# Queries per server CPU-second, user and system time apart, per query set of the shared
# harness (blocked, hit, miss, mix on its 100k list), for our daemon or unbound in the same
# role: the server on core 0, dnsperf (4 sockets, 100 outstanding) and a loopback unbound
# upstream that answers every *.test name on core 1, no network namespace. Quicker than
# run.sh for an A/B of two builds: alternate them (and unbound) in one sitting and compare
# medians, the machine's speed drifts between minutes.
#
#   tests/bench/cpu-per-query.sh PUBLISH_DIR|unbound SECONDS [SET ...]
#   WARM=10 (seconds of mix first, for the JIT)  PERF=1 (perf record -g on the blocked set, or PERF_SET, to
#   /tmp/cpu-perf.data; add ENVS=DOTNET_EnableWriteXorExecute=0)  PERFSTAT=1 (count the
#   recvmmsg/sendmmsg and recvmsg/sendmsg calls, to /tmp/cpu-stat.txt)  EXTRA=', "Key": …' (config)
#
# Needs the harness data (tests/bench/run.sh generates it into $BENCH_OUT, default
# /tmp/misinkhole-bench), unbound, dnsperf, dig, python3; perf for PERF/PERFSTAT.
set -euo pipefail
pub=${1:?usage: cpu-per-query.sh PUBLISH_DIR|unbound SECONDS [SET ...]}; secs=${2:?seconds}; shift 2; sets=${*:-blocked-100k hit miss-r1 mix-100k-r1}
source "$(dirname "$0")/local-peers.sh"
bench_scratch cpu
start_upstream
start_server "$pub" ${ENVS:-} DOTNET_PerfMapEnabled=${PERF:-0}
taskset -c 1 dnsperf -s 127.0.0.1 -p 5392 -d $D/queries/mix-100k-r1.txt -l ${WARM:-10} -c 4 -T 1 -q 100 >/dev/null 2>&1  # warm (JIT)
tick=$(getconf CLK_TCK)
for set in $sets; do
  read u0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat)
  [[ -n ${PERFSTAT:-} ]] && { perf stat -e syscalls:sys_enter_recvmmsg,syscalls:sys_exit_recvmmsg,syscalls:sys_enter_sendmmsg,syscalls:sys_enter_recvmsg,syscalls:sys_enter_sendmsg -p $pid -o /tmp/cpu-stat.txt -- sleep $((secs-1)) >/dev/null 2>&1 & }
  [[ ${PERF:-0} == 1 && $set == ${PERF_SET:-blocked-100k} ]] && { perf record -F 2000 -g -p $pid -o /tmp/cpu-perf.data -- sleep $((secs-1)) >/dev/null 2>&1 & }
  out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p 5392 -d $D/queries/$set.txt -l $secs -c 4 -T 1 -q 100 2>&1)
  read u1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
  q=$(awk '/Queries completed/ {print $3}' <<<"$out")
  python3 -c "u=($u1-$u0)/$tick; s=($s1-$s0)/$tick; q=$q; print(f'$set: {q/$secs:9.0f} qps  cpu {u+s:5.2f}s (user {u:5.2f} sys {s:5.2f})  {q/(u+s):9.0f} q/CPU-s')"
done
