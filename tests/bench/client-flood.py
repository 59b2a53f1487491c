#!/usr/bin/env python3
# tests/bench/client-flood.py PROGRAM [CLIENTS] [--Key=value ...]: start the daemon (quick-start
# config, HTTP on), then CLIENTS distinct loopback clients (127.20.0.1, 127.20.0.2, ...; default
# 40000) each ask data.mistat.xiaomi.com once (blocked) from their own address; print VmRSS, the
# managed heap after the last GC (dotnet_gc_last_collection_heap_size_bytes, all generations) and
# the inventory's clients, 3 s after start and 3 s after the flood; then the live managed heap as
# dotnet-gcdump counts it after the full GC it forces (dotnet tool install -g dotnet-gcdump).
# Ports 5392/9160, /tmp/flood-data.
import subprocess, time, socket, os, sys, urllib.request, re
exe=sys.argv[1]
clients=int(sys.argv[2]) if len(sys.argv)>2 and not sys.argv[2].startswith("--") else 40000
extra=[a for a in sys.argv[2:] if a.startswith("--")]
def rss(pid):
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS"): return int(l.split()[1])/1024
def scrape():
    text=urllib.request.urlopen("http://127.0.0.1:9160/metrics",timeout=10).read().decode()
    heap=sum(float(m.group(1)) for m in re.finditer(r'^dotnet_gc_last_collection_heap_size_bytes\{[^}]*\} (\S+)',text,re.M))
    inv=re.search(r'^misinkhole_inventory_clients(?:\{[^}]*\})? (\S+)',text,re.M)
    return heap/1048576, inv.group(1) if inv else "?"
q=b'\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04data\x06mistat\x06xiaomi\x03com\x00\x00\x01\x00\x01'
os.system("rm -rf /tmp/flood-data")
p=subprocess.Popen([exe,"--Dns:Listen:0=127.0.0.1:5392","--Http:Listen=127.0.0.1:9160","--Upstreams:Servers:0=127.0.0.1:9","--DataDirectory=/tmp/flood-data"]+extra,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(0.05)
while True:
    s.sendto(q,("127.0.0.1",5392))
    try: s.recv(512); break
    except Exception: pass
time.sleep(3)
heap,inv=scrape(); print(f"start:             RSS {rss(p.pid):6.1f} MB  managed heap {heap:6.1f} MB  inventory clients {inv}")
t0=time.time(); answered=0
for i in range(1,clients+1):
    c=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); c.bind((f"127.20.{i>>8&255}.{i&255}" if i<65536 else f"127.{21+(i>>16)}.{i>>8&255}.{i&255}",0)); c.settimeout(1)
    c.sendto(q,("127.0.0.1",5392))
    try: c.recv(512); answered+=1
    except Exception: pass
    c.close()
took=time.time()-t0
time.sleep(3)
heap,inv=scrape(); print(f"after {clients} clients ({answered} answered, {took:.1f} s): RSS {rss(p.pid):6.1f} MB  managed heap {heap:6.1f} MB  inventory clients {inv}")
gcdump=os.path.expanduser("~/.dotnet/tools/dotnet-gcdump")
if os.path.exists(gcdump):
    os.system("rm -f /tmp/flood.gcdump")
    subprocess.run([gcdump,"collect","-p",str(p.pid),"-o","/tmp/flood.gcdump"],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)
    report=subprocess.run([gcdump,"report","/tmp/flood.gcdump"],capture_output=True,text=True).stdout.splitlines()
    total=next(int(l.split()[0].replace(",","")) for l in report if "GC Heap bytes" in l)
    print(f"live managed heap after a full GC (dotnet-gcdump): {total/1048576:.1f} MB; RSS then {rss(p.pid):.1f} MB")
p.terminate(); p.wait()
