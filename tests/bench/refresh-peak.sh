#!/usr/bin/env bash
# tests/bench/refresh-peak.sh PUBLISH_DIR LIST : the daemon (published, pinned to core 0) with LIST
# (e.g. the harness's block-1m.hosts): RSS after 3 s of light traffic, then the peak RSS (VmHWM,
# reset through clear_refs) while a change of the list file makes it reload, and RSS after.
# Needs dnsperf. Uses port 5398 and files under /tmp.
set -euo pipefail
cp "$2" /tmp/peak-list.hosts
cat >/tmp/peak.json <<CONF
{ "Dns": { "Listen": [ "127.0.0.1:5398" ] }, "Upstreams": { "Servers": [ "127.0.0.1:9" ] },
  "Lists": { "big": { "Sources": [ "/tmp/peak-list.hosts" ] } } }
CONF
for i in $(seq 1 2000); do echo "q$i.example A"; done >/tmp/peak-q.txt
taskset -c 0 $1/misinkhole run --config /tmp/peak.json > /tmp/peak.log 2>&1 & PID=$!
sleep 4; dnsperf -s 127.0.0.1 -p 5398 -d /tmp/peak-q.txt -l 3 -Q 5000 > /dev/null 2>&1 || true; sleep 1
STEADY=$(awk '/VmRSS/{print $2}' /proc/$PID/status); echo 5 > /proc/$PID/clear_refs; touch /tmp/peak-list.hosts; sleep 8
PEAK=$(awk '/VmHWM/{print $2}' /proc/$PID/status); AFTER=$(awk '/VmRSS/{print $2}' /proc/$PID/status)
echo "steady $STEADY kB, peak during reload $PEAK kB, after $AFTER kB, ratio $(awk -v a=$PEAK -v b=$STEADY 'BEGIN{printf "%.2f", a/b}'), reloads $(grep -c 'Rules loaded' /tmp/peak.log)"
kill $PID; wait $PID 2>/dev/null
