#!/usr/bin/env bash
# Queries per server CPU-second, user and system time apart, per query set of the shared
# harness (blocked, hit, miss, mix on its 100k list), for our daemon or unbound in the same
# role: the server on core 0, dnsperf (4 sockets, 100 outstanding) and a loopback unbound
# upstream that answers every *.test name on core 1, no network namespace. Quicker than
# run.sh for an A/B of two builds: alternate them (and unbound) in one sitting and compare
# medians, the machine's speed drifts between minutes.
#
#   tests/bench/cpu-per-query.sh PUBLISH_DIR|unbound SECONDS [SET ...]
#   WARM=10 (seconds of mix first, for the JIT)  PERF=1 (perf record -g on the blocked set, to
#   /tmp/cpu-perf.data; add ENVS=DOTNET_EnableWriteXorExecute=0)  PERFSTAT=1 (count the
#   recvmmsg/sendmmsg and recvmsg/sendmsg calls, to /tmp/cpu-stat.txt)  EXTRA=', "Key": …' (config)
#
# Needs the harness data (tests/bench/run.sh generates it into $BENCH_OUT, default
# /tmp/misinkhole-bench), unbound, dnsperf, dig, python3; perf for PERF/PERFSTAT.
set -euo pipefail
pub=${1:?usage: cpu-per-query.sh PUBLISH_DIR|unbound SECONDS [SET ...]}; secs=${2:?seconds}; shift 2; sets=${*:-blocked-100k hit miss-r1 mix-100k-r1}
D=${BENCH_OUT:-/tmp/misinkhole-bench}/data
work=$(mktemp -d /tmp/cpu.XXXX); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
printf 'server:\n  interface: 127.0.0.1@5391\n  num-threads: 1\n  access-control: 127.0.0.0/8 allow\n  chroot: ""\n  username: ""\n  pidfile: ""\n  use-syslog: no\n  logfile: ""\n  verbosity: 0\n  local-zone: "test." redirect\n  local-data: "test. 3600 IN A 192.0.2.1"\n' > $work/up.conf
taskset -c 1 unbound -d -c $work/up.conf >/dev/null 2>&1 & pids+=($!)
cat > $work/c.json <<C
{ "Dns": { "Listen": [ "127.0.0.1:5392" ], "AllowedClients": [ "private" ] },
  "Upstreams": { "Servers": [ "127.0.0.1:5391" ] }, "Cache": { "MaxEntries": 10000 },
  "Lists": { "bench": { "Sources": [ "$D/lists/block-100k.hosts" ] } },
  "Policies": { "block": { "Block": [ "bench" ], "BlockResponse": "NullIp" } }, "DefaultPolicy": "block",
  "Http": { "Listen": "127.0.0.1:9392" }, "DataDirectory": "$work/data" ${EXTRA:-} }
C
if [[ $pub == unbound ]]; then
  awk '{print "local-zone: \"" $1 ".\" always_null"}' $D/lists/block-100k.domains > $work/zones.conf
  printf 'server:\n  interface: 127.0.0.1@5392\n  num-threads: 1\n  do-ip6: no\n  access-control: 127.0.0.0/8 allow\n  chroot: ""\n  username: ""\n  pidfile: ""\n  use-syslog: no\n  logfile: ""\n  verbosity: 0\n  module-config: "iterator"\n  do-not-query-localhost: no\n  local-zone: "test." nodefault\n  include: "%s"\nremote-control:\n  control-enable: no\nforward-zone:\n  name: "."\n  forward-addr: 127.0.0.1@5391\n' $work/zones.conf > $work/srv.conf
  taskset -c 0 unbound -d -c $work/srv.conf > $work/log 2>&1 & pid=$!; pids+=($pid)
else
env ${ENVS:-} DOTNET_PerfMapEnabled=${PERF:-0} taskset -c 0 "$pub/misinkhole" run --config $work/c.json > $work/log 2>&1 & pid=$!; pids+=($pid)
fi
for i in $(seq 1 300); do dig +short +tries=1 +time=1 -p 5392 @127.0.0.1 probe.example-allowed.test A 2>/dev/null | grep -q . && break; sleep 0.1; done
taskset -c 1 dnsperf -s 127.0.0.1 -p 5392 -d $D/queries/mix-100k-r1.txt -l ${WARM:-10} -c 4 -T 1 -q 100 >/dev/null 2>&1  # warm (JIT)
tick=$(getconf CLK_TCK)
for set in $sets; do
  read u0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat)
  [[ -n ${PERFSTAT:-} ]] && { perf stat -e syscalls:sys_enter_recvmmsg,syscalls:sys_exit_recvmmsg,syscalls:sys_enter_sendmmsg,syscalls:sys_enter_recvmsg,syscalls:sys_enter_sendmsg -p $pid -o /tmp/cpu-stat.txt -- sleep $((secs-1)) >/dev/null 2>&1 & }
  [[ ${PERF:-0} == 1 && $set == blocked-100k ]] && { perf record -F 2000 -g -p $pid -o /tmp/cpu-perf.data -- sleep $((secs-1)) >/dev/null 2>&1 & }
  out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p 5392 -d $D/queries/$set.txt -l $secs -c 4 -T 1 -q 100 2>&1)
  read u1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
  q=$(awk '/Queries completed/ {print $3}' <<<"$out")
  python3 -c "u=($u1-$u0)/$tick; s=($s1-$s0)/$tick; q=$q; print(f'$set: {q/$secs:9.0f} qps  cpu {u+s:5.2f}s (user {u:5.2f} sys {s:5.2f})  {q/(u+s):9.0f} q/CPU-s')"
done
