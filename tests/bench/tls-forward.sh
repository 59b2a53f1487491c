#!/usr/bin/env bash
# Forwarding over encrypted upstreams: our daemon over DoT and over DoH against unbound
# forwarding over TLS (forward-tls-upstream: yes), all to the same loopback upstream, in one
# sitting.
#
#   tests/bench/tls-forward.sh PUBLISH_DIR [SECONDS] [RUNS]
#   VARIANTS="dot unbound" tests/bench/tls-forward.sh …   (a subset; default: dot doh unbound)
#   WARM=5 tests/bench/tls-forward.sh …                     (seconds of unmeasured load first; default 20)
#
# Needs: unbound (1.17, built with nghttp2), dnsperf, openssl, python3, curl.
#
# How it works:
# - The upstream is an unbound serving DoT on 127.0.0.1:8853 and DoH on 127.0.0.1:8443, with a
#   certificate from a throw-away CA. Every name under bench.example is answered from local data.
# - Each server under test listens on plain UDP. dnsperf sends it unique names (n1.bench.example, …),
#   so every query is forwarded: no cache hits on either side.
# - The server under test is pinned to core 0; dnsperf and the upstream share core 1.
# - Each server, once it answers, gets WARM seconds (default 20) of the same load unmeasured,
#   then the measured run: a resolver runs for days, and ours reaches its steady state only once
#   the JIT has tiered up the hot path (with WARM=5 it is still compiling while measured).
# - Every name is sent once (dnsperf -n 1): no run repeats a name, so nothing is a cache hit.
#
# Printed per run:
# - the queries completed and the server's CPU seconds (utime + stime from /proc);
# - queries per server CPU-second;
# - for ours, the connection-reuse ratio: queries sent on an existing upstream connection, over
#   all queries sent, from misinkhole_upstream_* metrics;
# - for unbound, the TLS connections it held open to the upstream at the end.
set -euo pipefail
publish=$(cd "${1:?usage: tls-forward.sh PUBLISH_DIR [SECONDS] [RUNS]}" && pwd)
seconds=${2:-15}
runs=${3:-2}
warm=${WARM:-20}
work=$(mktemp -d /tmp/tls-forward.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"

# A throw-away CA and the upstream's certificate (name upstream.bench and address 127.0.0.1).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=bench-ca 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout up.key -out up.csr -subj /CN=upstream.bench 2>/dev/null
printf 'subjectAltName=DNS:upstream.bench,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > ext.cnf
openssl x509 -req -in up.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out up.pem -days 2 -extfile ext.cnf 2>/dev/null

cat > upstream.conf <<EOF
server:
  interface: 127.0.0.1@8853
  interface: 127.0.0.1@8443
  tls-port: 8853
  https-port: 8443
  tls-service-key: "$work/up.key"
  tls-service-pem: "$work/up.pem"
  http-endpoint: "/dns-query"
  num-threads: 1
  incoming-num-tcp: 1024
  access-control: 127.0.0.0/8 allow
  chroot: ""
  username: ""
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 0
  local-zone: "bench.example." redirect
  local-data: "bench.example. 300 IN A 192.0.2.1"
EOF
cat > forwarder.conf <<EOF
server:
  interface: 127.0.0.1@5410
  num-threads: 1
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  tls-cert-bundle: "$work/ca.pem"
  chroot: ""
  username: ""
  pidfile: ""
  use-syslog: no
  logfile: ""
  verbosity: 0
forward-zone:
  name: "."
  forward-tls-upstream: yes
  forward-addr: 127.0.0.1@8853#upstream.bench
EOF

taskset -c 1 unbound -d -c upstream.conf & pids+=($!)
python3 - > names.txt <<'PY'
import sys
for i in range(1, 14_000_001):
    sys.stdout.write(f"n{i}.bench.example A\n")
PY

wait_udp() { # PORT: poll until a plain query is answered
  for _ in $(seq 1 200); do
    dig +short +tries=1 +time=1 -p "$1" @127.0.0.1 probe.bench.example A >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "nothing answers on port $1" >&2; exit 1
}
wait_tls() { for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/8853) 2>/dev/null && return 0; sleep 0.1; done; exit 1; }
wait_tls

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tick=$(getconf CLK_TCK)
offset=1
metric() { curl -s http://127.0.0.1:9170/metrics | awk -v m="$1" '$1 ~ "^"m"(\\{|$)" {s += $2} END {printf "%d", s}'; }

warm() { # PORT: the same load for $warm seconds, not measured
  sed -n "${offset},$((offset + 1199999))p" names.txt > warm.txt
  offset=$((offset + 1200000))
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$1" -d warm.txt -n 1 -l "$warm" -c 32 -q 200 >/dev/null 2>&1
}

run() { # NAME PORT PID
  local name=$1 port=$2 pid=$3 before after out completed
  before=$(cpu "$pid")
  sed -n "${offset},$((offset + 999999))p" names.txt > run.txt
  out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d run.txt -n 1 -l "$seconds" -c 32 -q 200 2>&1)
  offset=$((offset + 1000000))
  after=$(cpu "$pid")
  completed=$(awk '/Queries completed:/ {print $3}' <<<"$out")
  python3 - "$name" "$completed" "$before" "$after" "$tick" <<'PY'
import sys
name, done, before, after, tick = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
cpu = (after - before) / tick
print(f"{name:<22} completed {done:>8}  server CPU {cpu:6.2f} s  queries per CPU-second {done / cpu if cpu else 0:9.0f}")
PY
}

ours() { # NAME SERVER
  local name=$1 server=$2
  rm -rf data && mkdir data
  taskset -c 0 "$publish/misinkhole" --Dns:Listen:0=127.0.0.1:5411 --Http:Listen=127.0.0.1:9170 \
    "--Upstreams:Servers:0=$server" "--Upstreams:CaFile=$work/ca.pem" --Upstreams:Bootstrap= \
    --QueryLog:Record=None --DataDirectory="$work/data" >ours.log 2>&1 & local pid=$!
  pids+=("$pid")
  wait_udp 5411
  warm 5411
  run "$name" 5411 "$pid"
  local opened reused
  opened=$(metric misinkhole_upstream_connections_total)
  reused=$(metric misinkhole_upstream_connection_reuses_total)
  python3 -c "import sys; o, r = int(sys.argv[1] or 0), int(sys.argv[2] or 0); print(f'{\"\":<22} upstream connections opened {o}, queries on a reused connection {r}: reuse ratio {r / (o + r) if o + r else 0:.4f}')" "$opened" "$reused"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

theirs() {
  taskset -c 0 unbound -d -c forwarder.conf & local pid=$!
  pids+=("$pid")
  wait_udp 5410
  warm 5410
  run "unbound forward-tls" 5410 "$pid"
  echo "$(printf '%-22s' '') TLS connections to the upstream open at the end: $(ss -tnH state established '( dport = :8853 )' | wc -l)"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

echo "tls-forward: ${seconds}s per run, ${runs} runs, unique names (every query forwarded)"
for r in $(seq 1 "$runs"); do
  for v in ${VARIANTS:-dot doh unbound}; do
    case $v in
      dot) ours "ours DoT" "tls://127.0.0.1:8853#upstream.bench" ;;
      doh) ours "ours DoH" "https://127.0.0.1:8443/dns-query" ;;
      unbound) theirs ;;
    esac
  done
done
