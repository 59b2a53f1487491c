#!/bin/sh
# Installs MiSinkhole as a systemd service. From the repository, as root:
#   systemd/install.sh                 # publishes (needs the .NET SDK), installs, enables, starts
#   systemd/install.sh PUBLISH_DIR     # installs an existing `dotnet publish` output instead
# The program goes to /opt/misinkhole, the config (kept if present) to /etc/misinkhole, state
# to /var/lib/misinkhole (systemd's StateDirectory). DESTDIR=/some/root installs into that tree
# without creating the user or touching systemd (packaging, tests).
set -eu
cd "$(dirname "$0")/.."
root=${DESTDIR:-}
publish=${1:-}
if [ -z "$publish" ]; then
  case "$(uname -m)" in
    x86_64) rid=linux-x64 ;; aarch64) rid=linux-arm64 ;; armv7l) rid=linux-arm ;; *) echo "unsupported machine: $(uname -m)" >&2; exit 1 ;;
  esac
  publish=$(mktemp -d)
  dotnet publish src/MiSinkhole -c Release -r "$rid" --self-contained true -p:PublishTrimmed=true -o "$publish"
fi
[ -x "$publish/misinkhole" ] || { echo "no misinkhole program in $publish" >&2; exit 1; }

install -d "$root/opt/misinkhole" "$root/etc/misinkhole" "$root/etc/systemd/system"
cp -R "$publish"/. "$root/opt/misinkhole/"
rm -rf "$root/opt/misinkhole/data"
if [ ! -e "$root/etc/misinkhole/misinkhole.json" ]; then
  cp config/misinkhole.json "$root/etc/misinkhole/misinkhole.json"
  cp -R config/rules "$root/etc/misinkhole/rules"
fi
install -m 0644 systemd/misinkhole.service "$root/etc/systemd/system/misinkhole.service"

if [ -z "$root" ]; then
  id misinkhole >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /var/lib/misinkhole --shell /usr/sbin/nologin misinkhole
  chgrp -R misinkhole /etc/misinkhole && chmod -R g+rX,o-rwx /etc/misinkhole
  systemctl daemon-reload
  systemctl enable --now misinkhole.service
  echo "misinkhole is running: systemctl status misinkhole; journalctl -u misinkhole"
fi
