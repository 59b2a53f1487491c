#!/usr/bin/env bash
# What one page load in a real browser asks of DNS, as the rate limit sees it.
#
#   tests/bench/pageload.sh PUBLISH_DIR [HOSTS]     (as root; needs chromium, python3, dig)
#
# In a private network and mount namespace (loopback only; /etc/resolv.conf bind-mounted to
# "nameserver 127.0.0.1"), it starts the daemon from PUBLISH_DIR (dotnet publish of src/MiSinkhole)
# on 127.0.0.1:53 with the query log recording every query, serves a heavy page on 127.0.0.1:80
# (HOSTS distinct host names, default 100, for images, scripts and style sheets, plus 10 iframes on
# hosts of their own that each load 5 more: HOSTS + 60 names), loads it once with headless
# Chromium (its own cold DNS cache) and reads the query log: queries, names, the most in any
# 100 ms and any second, and for a few sustained rates the bucket size (burst) no query of the
# load would have exceeded. The namespace has an IPv6 default route, so the browser asks AAAA too,
# as on a dual-stack home network. Every page name resolves to 127.0.0.1 (a list the page's names are in,
# answered with that address), so nothing leaves the namespace.
set -euo pipefail
publish=$(cd "${1:?usage: pageload.sh PUBLISH_DIR [HOSTS]}" && pwd)
hosts=${2:-100}
work=$(mktemp -d /tmp/pageload.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/page" "$work/data"

python3 - "$work" "$hosts" <<'PY'
import sys, os
work, hosts = sys.argv[1], int(sys.argv[2])
page = os.path.join(work, "page")
names = [f"www.page.example"]
body = []
for i in range(hosts):
    host = f"cdn{i}.page.example"
    names.append(host)
    kind = i % 5
    if kind < 3:
        body.append(f'<img src="http://{host}/p.png">')
    elif kind == 3:
        body.append(f'<script src="http://{host}/s.js"></script>')
    else:
        body.append(f'<link rel="stylesheet" href="http://{host}/c.css">')
for f in range(10):
    frame = f"ads{f}.frame.example"
    names.append(frame)
    inner = []
    for j in range(5):
        host = f"t{f}-{j}.track.example"
        names.append(host)
        inner.append(f'<img src="http://{host}/p.png">')
    with open(os.path.join(page, f"frame{f}.html"), "w") as out:
        out.write("<html><body>" + "".join(inner) + "</body></html>")
    body.append(f'<iframe src="http://{frame}/frame{f}.html"></iframe>')
with open(os.path.join(page, "index.html"), "w") as out:
    out.write("<html><head><title>heavy</title></head><body>" + "\n".join(body) + "</body></html>")
# A 1x1 PNG, an empty script and style sheet.
open(os.path.join(page, "p.png"), "wb").write(bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"))
open(os.path.join(page, "s.js"), "w").write("//\n")
open(os.path.join(page, "c.css"), "w").write("/* */\n")
with open(os.path.join(work, "names.txt"), "w") as out:
    out.write("\n".join(names) + "\n")
with open(os.path.join(work, "resolv.conf"), "w") as out:
    out.write("nameserver 127.0.0.1\noptions timeout:2 attempts:1\n")
PY

cat > "$work/misinkhole.json" <<JSON
{
  "Dns": { "Listen": [ "127.0.0.1:53" ] },
  "Http": { "Listen": "none" },
  "Upstreams": { "Servers": [ "127.0.0.1:9" ], "Timeout": "300ms", "AttemptTimeout": "300ms" },
  "RateLimit": { "Rate": 1000000, "Burst": 10000000, "Exempt": [] },
  "DataDirectory": "$work/data",
  "QueryLog": { "Record": "All", "FlushInterval": "200ms" },
  "Lists": { "page": { "Sources": [ "$work/names.txt" ] } },
  "Policies": { "page": { "Block": [ "page" ], "BlockResponse": "127.0.0.1, ::1", "BlockTtl": "300s" } }
}
JSON

unshare -n -m bash -s "$work" "$publish" <<'INNER'
set -euo pipefail
work=$1 publish=$2
ip link set lo up
# An IPv6 default route, so the browser sees a dual-stack network (as a phone on a home LAN with
# IPv6 does) and asks AAAA as well as A and HTTPS.
ip -6 addr add 2001:db8::1/64 dev lo
ip -6 route add default dev lo
mount --bind "$work/resolv.conf" /etc/resolv.conf
"$publish/misinkhole" run --config "$work/misinkhole.json" > "$work/daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 100); do dig +short +time=1 +tries=1 @127.0.0.1 www.page.example > /dev/null 2>&1 && break; sleep 0.1; done
python3 -m http.server 80 --bind 127.0.0.1 --directory "$work/page" > /dev/null 2>&1 &
web=$!
sleep 0.5
chromium --headless=new --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/profile" \
  --virtual-time-budget=10000 --dump-dom http://www.page.example/ > "$work/dom.html" 2> "$work/chromium.log" || true
sleep 1
kill "$web" || true
kill -TERM "$daemon"; wait "$daemon" || true
INNER

python3 - "$work/data/querylog.db" <<'PY'
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute("SELECT time, name, type FROM queries WHERE name != 'www.page.example' OR type != 'A' ORDER BY time, id").fetchall()
# The warm-up probe (dig for www.page.example A) is left out above; the page's own queries remain.
times = [r[0] for r in rows]
print(f"queries: {len(rows)}, names: {len({r[1] for r in rows})}, types: " + ", ".join(f"{t} {sum(1 for r in rows if r[2] == t)}" for t in sorted({r[2] for r in rows})))
if not times:
    sys.exit(1)
print(f"from first to last query: {times[-1] - times[0]} ms")
def most_within(window):
    best, j = 0, 0
    for i in range(len(times)):
        while times[i] - times[j] >= window:
            j += 1
        best = max(best, i - j + 1)
    return best
print(f"most queries within 100 ms: {most_within(100)}, within 1 s: {most_within(1000)}")
for rate in (10, 50, 100):
    # Smallest bucket that a token bucket refilling at `rate` a second needs so no query is refused.
    need, tokens_used, last = 0.0, 0.0, times[0]
    for t in times:
        tokens_used = max(0.0, tokens_used - (t - last) * rate / 1000.0) + 1
        last = t
        need = max(need, tokens_used)
    print(f"burst needed at {rate}/s: {need:.0f}")
PY
