#!/bin/sh
# Installs MiSinkhole as a systemd service. From the repository, as root:
#   systemd/install.sh                 # publishes (needs the .NET SDK; clang for the native build), installs, enables, starts
#   systemd/install.sh PUBLISH_DIR     # installs an existing `dotnet publish` output instead
# The program goes to /opt/misinkhole, the config (kept if present) to /etc/misinkhole, state
# to /var/lib/misinkhole (systemd's StateDirectory). DESTDIR=/some/root installs into that tree
# without creating the user or touching systemd (packaging, tests).
set -eu
root=${DESTDIR:-}
publish=${1:-}
[ -z "$publish" ] || publish=$(cd "$publish" && pwd)
[ -z "$root" ] || root=$(cd "$root" && pwd)
cd "$(dirname "$0")/.."
if [ -z "$publish" ]; then
  # The userland decides, not the kernel: 32-bit Raspberry Pi OS runs a 64-bit kernel.
  arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
  case "$arch" in
    amd64|x86_64) rid=linux-x64 ;; arm64|aarch64) rid=linux-arm64 ;; armhf|armv7l) rid=linux-arm ;; *) echo "unsupported architecture: $arch" >&2; exit 1 ;;
  esac
  publish=$(mktemp -d)
  # Compiled ahead of time where .NET can (x64, arm64) and clang is there to link it: no JIT,
  # so less memory and a faster start. Else (linux-arm, or no clang) trimmed self-contained.
  build="--self-contained true -p:PublishTrimmed=true"
  if [ "$rid" != linux-arm ]; then
    if command -v clang >/dev/null 2>&1; then
      build="-p:PublishAot=true"
    else
      echo "clang is not installed: publishing the trimmed build (apt-get install clang for the native one: less memory, faster start)" >&2
    fi
  fi
  # shellcheck disable=SC2086 # $build is two or one arguments
  dotnet publish src/MiSinkhole -c Release -r "$rid" $build -p:CopyOutputSymbolsToPublishDirectory=false -o "$publish"
fi
[ -x "$publish/misinkhole" ] || { echo "no misinkhole program in $publish" >&2; exit 1; }

install -d "$root/opt/misinkhole" "$root/etc/misinkhole" "$root/etc/systemd/system"
# An upgrade: stop the running daemon before its files are replaced.
[ -n "$root" ] || ! systemctl is-active --quiet misinkhole.service || systemctl stop misinkhole.service
cp -R "$publish"/. "$root/opt/misinkhole/"
rm -rf "$root/opt/misinkhole/data"
if [ ! -e "$root/etc/misinkhole/misinkhole.json" ]; then
  cp config/misinkhole.json "$root/etc/misinkhole/misinkhole.json"
  cp -R config/rules "$root/etc/misinkhole/rules"
  # rules/local/ holds review decisions (misinkhole review): made on this box, never shipped.
  rm -rf "$root/etc/misinkhole/rules/local"
fi
install -m 0644 systemd/misinkhole.service "$root/etc/systemd/system/misinkhole.service"

if [ -z "$root" ]; then
  id misinkhole >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /var/lib/misinkhole --shell /usr/sbin/nologin misinkhole
  chgrp -R misinkhole /etc/misinkhole && chmod -R g+rX,o-rwx /etc/misinkhole
  # The web page's changes: the daemon writes the config file (a new copy renamed over it) and rules/local/.
  install -d -g misinkhole -m 0770 /etc/misinkhole/rules/local
  chmod g+w /etc/misinkhole /etc/misinkhole/misinkhole.json
  systemctl daemon-reload
  systemctl enable misinkhole.service
  systemctl restart misinkhole.service
  echo "misinkhole is running: systemctl status misinkhole; journalctl -u misinkhole"
fi
