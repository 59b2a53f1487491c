#!/usr/bin/env bash
# Encrypted listeners: queries per server CPU-second over DoT (dnsperf -m dot) and DoH
# (dnsperf -m doh, HTTP/2 POST) for our daemon and for unbound serving the same (tls-port,
# https-port), in one sitting, with the same certificate (a throw-away self-signed one).
# Two query sets: "hit" (1,000 names that the server has cached after the warm-up) and
# "blocked" (1,000 names on a blocklist: our list, unbound's always_null local zones).
#
#   tests/bench/encrypted-listen.sh PUBLISH_DIR [SECONDS] [RUNS]
#   SERVERS="ours" MODES="dot" SETS="hit" tests/bench/encrypted-listen.sh …   (a subset)
#
# The server under test is on core 0; dnsperf (4 connections, 100 outstanding) and the loopback
# unbound upstream (local-peers.sh: every *.test name is 192.0.2.1) on core 1.
# Needs: unbound (built with nghttp2, as Debian's is), dnsperf (2.5 or later, for -m doh), openssl, dig.
set -euo pipefail
publish=$(cd "${1:?usage: encrypted-listen.sh PUBLISH_DIR [SECONDS] [RUNS]}" && pwd)
secs=${2:-10}; runs=${3:-2}
repo=$(cd "$(dirname "$0")/../.." && pwd)
source "$repo/tests/bench/local-peers.sh"
bench_scratch encrypted
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -out cert.pem -days 2 \
  -subj /CN=dns.bench -addext 'subjectAltName=DNS:dns.bench,DNS:*.dns.bench,IP:127.0.0.1' 2>/dev/null
for i in $(seq 1 1000); do echo "h$i.test A"; done > hit.txt
for i in $(seq 1 1000); do echo "0.0.0.0 b$i.blocked.example"; done > blocked.hosts
awk '{print $2 " A"}' blocked.hosts > blocked.txt
awk '{print "local-zone: \"" $2 ".\" always_null"}' blocked.hosts > zones.conf
start_upstream

start() {
  if [[ $1 == unbound ]]; then
    cat > srv.conf <<C
server:
  interface: 127.0.0.1@5392
  interface: 127.0.0.1@5393
  interface: 127.0.0.1@5394
  tls-port: 5393
  https-port: 5394
  tls-service-key: "$work/key.pem"
  tls-service-pem: "$work/cert.pem"
  http-endpoint: "/dns-query"
  incoming-num-tcp: 1024
  num-threads: 1
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  chroot: ""
  username: ""
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 0
  module-config: "iterator"
  do-not-query-localhost: no
  local-zone: "test." nodefault
  include: "$work/zones.conf"
remote-control:
  control-enable: no
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@5391
C
    taskset -c 0 unbound -d -c srv.conf > log 2>&1 & pid=$!; pids+=($pid)
  else
    cat > c.json <<C
{ "Dns": { "Listen": [ "127.0.0.1:5392" ], "AllowedClients": [ "private" ],
           "Tls": { "Listen": [ "127.0.0.1:5393" ], "CertificateFile": "$work/cert.pem", "KeyFile": "$work/key.pem", "ServerName": "dns.bench" },
           "Https": { "Listen": [ "127.0.0.1:5394" ] } },
  "Upstreams": { "Servers": [ "127.0.0.1:5391" ] },
  "Lists": { "bench": { "Sources": [ "$work/blocked.hosts" ] } },
  "Policies": { "block": { "Block": [ "bench" ], "BlockResponse": "NullIp" } }, "DefaultPolicy": "block",
  "Http": { "Listen": "127.0.0.1:9392" }, "DataDirectory": "$work/data" }
C
    taskset -c 0 "$publish/misinkhole" run --config c.json > log 2>&1 & pid=$!; pids+=($pid)
  fi
  for _ in $(seq 1 300); do
    dig +short +tries=1 +time=1 -p 5392 @127.0.0.1 h1.test A 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  echo "$1 did not answer: $(tail -5 log)" >&2; return 1
}

perf() { # MODE SET SECONDS
  local port=5393 extra=()
  [[ $1 == doh ]] && { port=5394; extra=(-O doh-uri=https://127.0.0.1:5394/dns-query -O doh-method=POST); }
  taskset -c 1 dnsperf -m "$1" -s 127.0.0.1 -p $port "${extra[@]}" -d "$2.txt" -l "$3" -c 4 -T 1 -q 100 2>&1
}

tick=$(getconf CLK_TCK)
echo "# encrypted listeners, $(date -u +%FT%TZ), $(git -C "$repo" rev-parse --short HEAD), ${secs}s x $runs"
for run in $(seq 1 "$runs"); do
  for server in ${SERVERS:-ours unbound}; do
    start "$server"
    for mode in ${MODES:-dot doh}; do
      for set in ${SETS:-hit blocked}; do
        perf "$mode" "$set" 3 >/dev/null # warm: the cache, the JIT, the connections' first handshakes
        read -r u0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat)
        out=$(perf "$mode" "$set" "$secs")
        read -r u1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
        q=$(awk '/Queries completed/ {print $3}' <<<"$out"); lost=$(awk '/Queries lost/ {print $3}' <<<"$out")
        python3 -c "u=($u1-$u0)/$tick; s=($s1-$s0)/$tick; q=$q; print(f'run $run $server $mode $set: {q/$secs:8.0f} qps  cpu {u+s:5.2f}s  {q/max(u+s,0.01):8.0f} q/CPU-s  lost $lost')"
      done
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done
