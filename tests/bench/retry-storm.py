#!/usr/bin/env python3
# tests/bench/retry-storm.py PROGRAM SECONDS DNS_PORT DATA_DIR [--Key=value ...]: start the daemon
# (quick-start config, HTTP off), then for SECONDS one client (127.30.0.1) asks the blocked
# data.mistat.xiaomi.com ten times a second, each from a new source port, and another
# (127.30.0.2) one new blocked name a second (nN.data.mistat.xiaomi.com); then print the query
# log's disk use (querylog.db and its -wal), its rows and the queries they count.
import subprocess, time, socket, os, sys, sqlite3
exe, seconds, port, data = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
extra = sys.argv[5:]
def query(name, qid=0x1234):
    wire = b''.join(bytes([len(l)]) + l.encode() for l in name.split('.')) + b'\x00'
    return qid.to_bytes(2, 'big') + b'\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00' + wire + b'\x00\x01\x00\x01'
def ask(src, name):
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.bind((src, 0)); c.settimeout(1)
    c.sendto(query(name), ("127.0.0.1", port))
    try: c.recv(512)
    except Exception: pass
    c.close()
os.system(f"rm -rf {data}")
p = subprocess.Popen([exe, f"--Dns:Listen:0=127.0.0.1:{port}", "--Http:Listen=none", "--Upstreams:Servers:0=127.0.0.1:9", f"--DataDirectory={data}"] + extra,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while True:
    try:
        ask("127.0.0.1", "ready.example"); break
    except Exception: time.sleep(0.05)
start = time.time(); sent = 0
for tick in range(seconds * 10):
    ask("127.30.0.1", "data.mistat.xiaomi.com"); sent += 1
    if tick % 10 == 0:
        ask("127.30.0.2", f"n{tick // 10}.data.mistat.xiaomi.com"); sent += 1
    time.sleep(max(0, start + (tick + 1) / 10 - time.time()))
time.sleep(2)  # one flush interval and then some
db = os.path.join(data, "querylog.db")
size = os.path.getsize(db) + (os.path.getsize(db + "-wal") if os.path.exists(db + "-wal") else 0)
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
cols = [r[1] for r in con.execute("PRAGMA table_info(queries)")]
rows, counted = con.execute("SELECT count(*), " + ("sum(count)" if "count" in cols else "count(*)") + " FROM queries").fetchone()
print(f"{seconds} s, {sent} blocked queries sent {' '.join(extra)}: query log {size/1024:.0f} KB on disk (db + wal), {rows} rows counting {counted} queries")
p.terminate(); p.wait()
