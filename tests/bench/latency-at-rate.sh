#!/usr/bin/env bash
# Answer times at a steady rate (dnsperf -Q, default 10k queries/s) over the harness's 100k mix
# latency file, split into forwarded ("miss") and local (blocked and cached) answers, for our
# daemon or unbound in the same role: server on core 0, dnsperf and a loopback unbound upstream
# that answers every *.test name on core 1, no network namespace. Warms up first (the hot
# names, then 10 s of the mix at full speed, for the JIT and the cache).
#
#   tests/bench/latency-at-rate.sh PUBLISH_DIR|unbound [ENV=VALUE ...]
#   RATE=10000  EXTRA=', "Key": …' (config)  TRACE=1 (dotnet-trace GC events during the run,
#   to /tmp/latency-at-rate.nettrace: pause times to set against the tail)
#
# Needs the harness data (tests/bench/run.sh generates it into $BENCH_OUT, default
# /tmp/misinkhole-bench), unbound, dnsperf, dig, python3.
set -euo pipefail
pub=${1:?usage: latency-at-rate.sh PUBLISH_DIR|unbound [ENV=VALUE ...]}; shift
source "$(dirname "$0")/local-peers.sh"
bench_scratch lat
start_upstream
start_server "$pub" "$@"
taskset -c 1 dnsperf -s 127.0.0.1 -p 5392 -d $D/queries/hot-unique.txt -n 2 -Q 20000 >/dev/null 2>&1
taskset -c 1 dnsperf -s 127.0.0.1 -p 5392 -d $D/queries/mix-100k-r1.txt -l 10 -c 4 -T 1 -q 100 >/dev/null 2>&1  # warm (JIT)
[[ -n ${TRACE:-} ]] && { ~/.dotnet/tools/dotnet-trace collect -p $pid --providers "Microsoft-Windows-DotNETRuntime:0x1:5" --duration 00:00:00:07 -o /tmp/latency-at-rate.nettrace >/dev/null 2>&1 & pids+=($!); sleep 1; }
# Into a file, parsed after the run: a reader on the pipe would take CPU (on either core) while
# the answers are being timed.
taskset -c 1 dnsperf -s 127.0.0.1 -p 5392 -d $D/queries/mix-100k-lat-r2.txt -l 6 -Q ${RATE:-10000} -c 4 -T 1 -q 100 -v > "$work/lat.txt" 2>/dev/null
python3 -c '
import sys
c={"miss":[],"other":[]}
for l in sys.stdin:
    if l.startswith("> "):
        f=l.split(); c["miss" if ".miss." in f[2] else "other"].append(float(f[-1])*1000)
for k,v in c.items():
    v.sort(); n=len(v)
    if n == 0: continue
    p=lambda q: v[min(n-1,int(n*q/100))]
    print(f"{k:6} n {n} p50 {p(50):.3f} p90 {p(90):.3f} p99 {p(99):.3f} p99.9 {p(99.9):.3f} ms")' < "$work/lat.txt"
