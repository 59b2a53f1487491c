# shellcheck shell=bash
# Sourced by cpu-per-query.sh and latency-at-rate.sh: the loopback upstream (unbound on core 1,
# port 5391, answering every *.test name with 192.0.2.1) and the server under test on core 0,
# port 5392 (our daemon from a publish folder with the harness's 100k hosts list, or unbound
# with the same list as always_null local zones, as the harness runs it).
# bench_scratch sets D (the harness data), work (a scratch folder) and pids (killed, with the
# folder removed, on exit); start_server sets pid (the server's).

bench_scratch() {
  D=${BENCH_OUT:-/tmp/misinkhole-bench}/data
  work=$(mktemp -d "/tmp/$1.XXXX"); pids=()
  trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
}

start_upstream() {
  printf 'server:\n  interface: 127.0.0.1@5391\n  num-threads: 1\n  access-control: 127.0.0.0/8 allow\n  chroot: ""\n  username: ""\n  pidfile: ""\n  use-syslog: no\n  logfile: ""\n  verbosity: 0\n  local-zone: "test." redirect\n  local-data: "test. 3600 IN A 192.0.2.1"\n' > "$work/up.conf"
  taskset -c 1 unbound -d -c "$work/up.conf" >/dev/null 2>&1 & pids+=($!)
}

# start_server PUBLISH_DIR|unbound [ENV=VALUE ...]; EXTRA=', "Key": …' adds config keys to ours;
# LIST=block-1m takes the harness's 1M list (default block-100k); WRAP='cmd args' runs ours under
# a command (memory-limit.sh puts it in a cgroup that way).
start_server() {
  local server=$1; shift; local list=${LIST:-block-100k}
  if [[ $server == unbound ]]; then
    awk '{print "local-zone: \"" $1 ".\" always_null"}' "$D/lists/$list.domains" > "$work/zones.conf"
    printf 'server:\n  interface: 127.0.0.1@5392\n  num-threads: 1\n  do-ip6: no\n  access-control: 127.0.0.0/8 allow\n  chroot: ""\n  username: ""\n  pidfile: ""\n  use-syslog: no\n  logfile: ""\n  verbosity: 0\n  module-config: "iterator"\n  do-not-query-localhost: no\n  local-zone: "test." nodefault\n  include: "%s"\nremote-control:\n  control-enable: no\nforward-zone:\n  name: "."\n  forward-addr: 127.0.0.1@5391\n' "$work/zones.conf" > "$work/srv.conf"
    taskset -c 0 unbound -d -c "$work/srv.conf" > "$work/log" 2>&1 & pid=$!; pids+=($pid)
  else
    cat > "$work/c.json" <<C
{ "Dns": { "Listen": [ "127.0.0.1:5392" ], "AllowedClients": [ "private" ] },
  "Upstreams": { "Servers": [ "127.0.0.1:5391" ] }, "Cache": { "MaxEntries": 10000 },
  "Lists": { "bench": { "Sources": [ "${LIST_FILE:-$D/lists/$list.hosts}" ] } },
  "Policies": { "block": { "Block": [ "bench" ], "BlockResponse": "NullIp" } }, "DefaultPolicy": "block",
  "Http": { "Listen": "127.0.0.1:9392" }, "DataDirectory": "$work/data" ${EXTRA:-} }
C
    env "$@" ${WRAP:-} taskset -c 0 "$server/misinkhole" run --config "$work/c.json" > "$work/log" 2>&1 & pid=$!; pids+=($pid)
  fi
  for _ in $(seq 1 ${START_TRIES:-300}); do
    dig +short +tries=1 +time=1 -p 5392 @127.0.0.1 probe.example-allowed.test A 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  echo "the server did not answer: $(tail -5 "$work/log")" >&2
  return 1
}
