#!/bin/sh
# The container image, built and run for real with podman (no Docker engine and no registry are needed):
#   1. a local base image: Debian bookworm with openjdk-17-jre-headless, made by mmdebstrap and imported into
#      podman, cached as .cache/image/bookworm-jre17.tar (about 70 s the first time, seconds after);
#   2. docker/Dockerfile built on it (RUNTIME_IMAGE=that base, JAR_FROM=context: target/chartgate.jar);
#   3. load-tests/run --image: docker/compose.yaml's one-shot services and chartgate run as compose runs them,
#      then the image under the Helm chart's default memory limit and JVM options, non-root, read-only root,
#      mounted configuration, real mTLS requests to an nginx upstream on the host, and the burst (32 clients on
#      the 7.7 MB index, 200 slow downloads); fails on any error, an OOM kill, or an unclean SIGTERM.
# Needs root (podman's storage and cgroups), podman, runc and mmdebstrap; scripts/test.sh installs them and
# calls this after mvn verify. Where podman cannot run a container it fails and says why; it never skips.
#
#   scripts/image-test.sh              # build and run (target/chartgate.jar is built when stale)
#   scripts/image-test.sh --seconds 60 # a longer burst (default 20 s); other arguments go to load-tests/run
set -eu

root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"

say() { printf 'image-test: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root: podman's image store and the container's memory cgroup (run it as root, as CI does)"
for tool in podman runc mmdebstrap; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] \
        || fail "$tool is missing (apt-get install podman runc mmdebstrap; scripts/test.sh installs them)"
done
grep -qs '^[[:space:]]*runtime[[:space:]]*=[[:space:]]*"runc"' /etc/containers/containers.conf \
    || fail "/etc/containers/containers.conf does not set runtime = \"runc\" (scripts/test.sh writes it)"

base=localhost/chartgate-base:bookworm-jre17
image=localhost/chartgate:image-test
tarball=.cache/image/bookworm-jre17.tar

start=$(date +%s)
if ! podman image exists "$base"; then
    if [ ! -s "$tarball" ]; then
        say "making the base image with mmdebstrap (bookworm, openjdk-17-jre-headless; about 70 s, cached in $tarball)"
        mkdir -p .cache/image
        mmdebstrap --quiet --variant=apt --include=openjdk-17-jre-headless,ca-certificates bookworm "$tarball.part" \
            || fail "mmdebstrap could not make the base image (are Debian's package mirrors reachable?)"
        mv "$tarball.part" "$tarball"
    fi
    podman import --quiet "$tarball" "$base" >/dev/null || fail "podman import $tarball failed"
fi
podman run --rm --network none "$base" /bin/true \
    || fail "podman cannot run a container on this machine (see its message above); the image test needs it"
based=$(date +%s)

./chartgate --version >/dev/null   # builds target/chartgate.jar when it is missing or stale
podman build --quiet --format docker \
    --build-arg RUNTIME_IMAGE="$base" --build-arg JAR_FROM=context \
    -f docker/Dockerfile -t "$image" . >/dev/null || fail "podman build -f docker/Dockerfile failed"
built=$(date +%s)
podman image prune -f >/dev/null 2>&1 || true   # earlier builds' layers of the same tag
say "base image $((based - start)) s, image build $((built - based)) s"

load-tests/run --image "$image" "$@"
