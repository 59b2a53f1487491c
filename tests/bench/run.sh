#!/usr/bin/env bash
# End-to-end benchmark: our daemon against unbound and dnsmasq with the shared harness, in one
# sitting. The harness in ../shared/bench is read-only, so it is copied to a scratch folder
# together with peers/ours.sh; its generated data is cached between runs.
#
#   tests/bench/run.sh                      # full matrix: ceiling, ours, unbound, dnsmasq-hosts; 100k and 1m
#   OURS_BUILD=fd tests/bench/run.sh        # ours framework-dependent (ReadyToRun) instead of native
#   PRIMARY=ours SIZES=100k RUNS=1 tests/bench/run.sh    # a quick look at ours alone
#
# Needs: apt-get install dnsperf unbound dnsmasq nsd python3 clang. Results: $BENCH_OUT/results/.
set -euo pipefail
REPO_DIR=$(cd "$(dirname "$0")/../.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$REPO_DIR/../shared/bench}
BENCH_OUT=${BENCH_OUT:-/tmp/misinkhole-bench}
mkdir -p "$BENCH_OUT"
rm -rf "$BENCH_OUT/harness" && mkdir -p "$BENCH_OUT/harness"
tar -C "$SHARED_BENCH" --exclude ./data --exclude ./results -cf - . | tar -C "$BENCH_OUT/harness" -xf -
cp "$REPO_DIR/tests/bench/ours.sh" "$BENCH_OUT/harness/peers/ours.sh"
mkdir -p "$BENCH_OUT/data" "$BENCH_OUT/results/raw"
# Our daemon answers the mix set at over 100k queries/s: with the default 1.5M-line files a
# 15-second run would wrap and replay its unique miss names as cache hits. Twice the lines.
GEN_FLAGS=(--mix-lines 3000000 --miss-lines 3000000)
if ! grep -q "mix_lines: 3000000" "$BENCH_OUT/data/MANIFEST.txt" 2>/dev/null; then
  rm -rf "${BENCH_OUT:?}/data/"*
  python3 "$SHARED_BENCH/gen/gen_data.py" --out "$BENCH_OUT/data" "${GEN_FLAGS[@]}"
fi
ln -sfn "$BENCH_OUT/data" "$BENCH_OUT/harness/data"
# Publish the build under test here, before the harness enters its loopback-only network
# namespace (where no package registry is reachable); ours.sh measures OURS_PUBLISH.
# OURS_BUILD=aot (default): the native build that Docker and install.sh ship (needs clang);
# OURS_BUILD=fd: framework-dependent with ReadyToRun (the shared .NET runtime).
OURS_BUILD=${OURS_BUILD:-aot}
case $OURS_BUILD in
  aot) publish_flags=(-p:PublishAot=true) ;;
  fd) publish_flags=(--self-contained false -p:PublishReadyToRun=true) ;;
  *) echo "OURS_BUILD must be aot or fd" >&2; exit 1 ;;
esac
commit=$(git -C "$REPO_DIR" rev-parse --short HEAD)
[[ -z $(git -C "$REPO_DIR" status --porcelain -- src) ]] || commit="$commit-dirty-$(date +%s)"
export OURS_PUBLISH=${OURS_PUBLISH:-$BENCH_OUT/data/native/misinkhole-publish-$OURS_BUILD-$commit}
export OURS_BUILD
if [[ ! -x $OURS_PUBLISH/misinkhole ]]; then
  mkdir -p "$BENCH_OUT/data/native"
  dotnet publish "$REPO_DIR/src/MiSinkhole" -c Release -r linux-x64 "${publish_flags[@]}" \
    -o "$OURS_PUBLISH" >"$BENCH_OUT/data/native/publish.log" 2>&1 \
    || { echo "publish failed: $BENCH_OUT/data/native/publish.log" >&2; exit 1; }
fi
ln -sfn "$BENCH_OUT/results" "$BENCH_OUT/harness/results"
export REPO_DIR
export PRIMARY=${PRIMARY-ours unbound dnsmasq-hosts}
export SECONDARY=${SECONDARY-}
exec "$BENCH_OUT/harness/run_matrix.sh"
