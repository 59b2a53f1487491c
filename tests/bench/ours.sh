# shellcheck shell=bash
# Peer file for the shared DNS benchmark harness (../shared/bench): our daemon, fed the
# hosts-format list through a generated JSON config. tests/bench/run.sh installs this file as
# peers/ours.sh in a scratch copy of the harness and publishes the build it measures first
# (OURS_PUBLISH, OURS_BUILD=aot: the native build users run; fd: framework-dependent with
# ReadyToRun). With the server pinned to one core, .NET sees ProcessorCount=1: workstation GC and
# one UDP receive thread.
REPO_DIR=${REPO_DIR:?REPO_DIR must point at the MiSinkhole checkout}
OURS_COMMIT=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo dev)
[[ -z $(git -C "$REPO_DIR" status --porcelain -- src 2>/dev/null) ]] || OURS_COMMIT="$OURS_COMMIT-dirty-$(date +%s)"
# NATIVE_DIR is the harness's cache (kept between runs): one publish per commit, so a run never
# measures an older build than the one it names. OURS_PUBLISH=DIR measures a given build instead.
OURS_BUILD=${OURS_BUILD:-fd}
OURS_PUBLISH=${OURS_PUBLISH:-$NATIVE_DIR/misinkhole-publish-$OURS_BUILD-$OURS_COMMIT}
PEER_VERSION="misinkhole ${OURS_COMMIT%%-dirty*} ($OURS_BUILD build)$([[ $OURS_COMMIT == *dirty* ]] && echo ' (uncommitted changes)')"
PEER_DESC="misinkhole, hosts list (suffix match), cache $CACHE_ENTRIES"

peer_prepare() {
  # Untimed: publish this commit once.
  if [[ ! -x $OURS_PUBLISH/misinkhole ]]; then
    local flags=(--self-contained false -p:PublishReadyToRun=true)
    [[ $OURS_BUILD != aot ]] || flags=(-p:PublishAot=true)
    dotnet publish "$REPO_DIR/src/MiSinkhole" -c Release -r linux-x64 "${flags[@]}" \
      -o "$OURS_PUBLISH" >"$NATIVE_DIR/publish.log" 2>&1 || return 1
  fi
}

peer_start() {
  cat >"$WORK_DIR/misinkhole.json" <<CONF
{
  "Dns": { "Listen": [ "$LISTEN_ADDR:$LISTEN_PORT" ], "AllowedClients": [ "private" ] },
  "Upstreams": { "Servers": [ "$UPSTREAM_ADDR:$UPSTREAM_PORT" ] },
  "Cache": { "MaxEntries": $CACHE_ENTRIES },
  "Lists": { "bench": { "Sources": [ "$RULES_HOSTS" ] } },
  "Policies": { "block": { "Block": [ "bench" ], "BlockResponse": "NullIp" } },
  "DefaultPolicy": "block"
}
CONF
  launch "$OURS_PUBLISH/misinkhole" run --config "$WORK_DIR/misinkhole.json"
}
