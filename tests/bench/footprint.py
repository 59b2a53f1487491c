#!/usr/bin/env python3
# tests/bench/footprint.py PROGRAM [ENV=VALUE] [--Key=value ...]: start the daemon, query until it
# answers, read VmRSS 3 s later; median of 3 runs. Uses ports 5391 and 9159 and /tmp/measure-data.
import subprocess, time, socket, os, sys
def rss(pid):
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS"): return int(l.split()[1])
exe=sys.argv[1]; extra=sys.argv[2:]
env=dict(os.environ)
for e in list(extra):
    if "=" in e and not e.startswith("--"):
        k,v=e.split("=",1); env[k]=v; extra.remove(e)
q=b'\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04data\x06mistat\x06xiaomi\x03com\x00\x00\x01\x00\x01'
results=[]
for run in range(3):
    os.system("rm -rf /tmp/measure-data")
    t0=time.time()
    p=subprocess.Popen([exe,"--Dns:Listen:0=127.0.0.1:5391","--Http:Listen=127.0.0.1:9159","--Upstreams:Servers:0=127.0.0.1:9","--DataDirectory=/tmp/measure-data"]+extra,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL,env=env)
    s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(0.002)
    while True:
        s.sendto(q,("127.0.0.1",5391))
        try:
            s.recv(512); break
        except Exception: pass
    ready=time.time()-t0
    time.sleep(3)
    results.append((ready, rss(p.pid)/1024))
    p.terminate(); p.wait()
results.sort()
print(f"ready {results[1][0]:.3f}s RSS {sorted(r[1] for r in results)[1]:.1f} MB  {' '.join(sys.argv[2:])}")
