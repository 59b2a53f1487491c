#!/usr/bin/env python3
"""Start-to-ready time, measured finer than the harness's 50 ms dig polling.

Starts the server pinned to core 0 and sends the list's last name (the harness's blocked probe)
over UDP every 2 ms until an answer arrives; 7 starts, median. Needs the harness data and the
unbound list conversion that tests/bench/run.sh leaves in $BENCH_OUT (default /tmp/misinkhole-bench).

  tests/bench/startup.py ours   [100k|1m]   # uses $BENCH_OUT/data/native/misinkhole-publish/misinkhole,
                                            # or $OURS_PUBLISH/misinkhole (another publish folder)
  tests/bench/startup.py unbound [100k|1m]
"""
import os, socket, statistics, struct, subprocess, sys, time

BENCH_OUT = os.environ.get("BENCH_OUT", "/tmp/misinkhole-bench")
DATA = os.path.join(BENCH_OUT, "data")
PORT = 5391


def query(name):
    q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00\x00\x01\x00\x01"


def measure(cmd, name):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.002)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            s.sendto(query(name), ("127.0.0.1", PORT))
            s.recv(512)
            break
        except (socket.timeout, ConnectionRefusedError):
            if p.poll() is not None:
                sys.exit(f"{cmd[2]} exited with {p.returncode}")
    elapsed = time.monotonic() - t0
    p.terminate()
    p.wait()
    return elapsed


def main():
    kind, size = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "100k")
    probes = dict(line.strip().split("=", 1) for line in open(os.path.join(DATA, "probes.env")) if "=" in line)
    probe = probes[f"PROBE_BLOCKED_{size}"].strip('"')
    if kind == "ours":
        config = "/tmp/misinkhole-startup.json"
        with open(config, "w") as f:
            f.write('{"Dns":{"Listen":["127.0.0.1:%d"]},"Upstreams":{"Servers":["127.0.0.1:9"]},'
                    '"Lists":{"b":{"Sources":["%s/lists/block-%s.hosts"]}}}' % (PORT, DATA, size))
        cmd = ["taskset", "-c", "0", os.path.join(os.environ.get("OURS_PUBLISH") or os.path.join(DATA, "native/misinkhole-publish"), "misinkhole"), "run", "--config", config]
    else:
        config = "/tmp/misinkhole-startup-unbound.conf"
        with open(config, "w") as f:
            f.write(f'server:\n interface: 127.0.0.1@{PORT}\n port: {PORT}\n num-threads: 1\n do-ip6: no\n'
                    ' do-daemonize: no\n username: ""\n chroot: ""\n directory: "/tmp"\n pidfile: ""\n'
                    ' use-syslog: no\n module-config: "iterator"\n access-control: 127.0.0.0/8 allow\n'
                    f' local-zone: "test." nodefault\n include: "{DATA}/native/unbound-always_null-{size}.conf"\n'
                    'remote-control:\n control-enable: no\nforward-zone:\n name: "."\n forward-addr: 127.0.0.1@9\n')
        cmd = ["taskset", "-c", "0", "unbound", "-d", "-c", config]
    times = [measure(cmd, probe) for _ in range(7)]
    print(f"{kind} {size}: median {statistics.median(times):.3f} s ({' '.join(f'{t:.3f}' for t in times)})")


if __name__ == "__main__":
    main()
