#!/bin/sh
# Fuzzes the Jazzer fuzz tests (src/test/java/io/chartgate/fuzz) one after another, each for DURATION.
# A normal build (`mvn test`, scripts/test.sh) only replays their seeds and past findings; this script fuzzes.
#
#   scripts/fuzz.sh                      # every target, 10 minutes each
#   scripts/fuzz.sh 30s CanonicalPath    # one target (a prefix of the class name, or Class#method)
#   scripts/fuzz.sh 1h IndexRewriter ConfigLoader
#
# DURATION is Jazzer's (libFuzzer's -max_total_time): 90s, 10m, 1h, or plain seconds. A finding (a crash, an
# oracle failure, a hang of more than FUZZ_TIMEOUT seconds, default 30) is written by Jazzer as a regression
# input, src/test/resources/io/chartgate/fuzz/<Class>Inputs/<method>/crash-* (or timeout-*), which every later
# build replays: fix the defect, or the oracle, and commit the input with the fix. The corpus Jazzer grows is
# kept in .cifuzz-corpus/ (not committed), so a second run goes on from where the first stopped. Logs go to
# target/fuzz/<target>.log. The exit status is 1 when any target had a finding.
#
# Runs one Maven build (offline when FUZZ_MVN_OFFLINE=1) and one fuzzer at a time.
set -eu

root=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
cd "$root"

say() { printf 'fuzz.sh: %s\n' "$*" >&2; }

all="CanonicalPathFuzzTest#parse IndexRewriterFuzzTest#rewrite DistinguishedNameFuzzTest#parse PemLoaderFuzzTest#load ConfigLoaderFuzzTest#parse OciRequestFuzzTest#parse ProvenanceFuzzTest#verify"

duration=10m
if [ $# -gt 0 ]; then
    case $1 in
        [0-9]*) duration=$1; shift ;;
    esac
fi
case $duration in
    *[!0-9]*) ;;
    *) duration=${duration}s ;;
esac
seconds=$(printf '%s\n' "$duration" | awk '{
    n = $0; s = 0
    while (match(n, /^[0-9]+[smhd]?/)) {
        t = substr(n, 1, RLENGTH); n = substr(n, RLENGTH + 1); u = substr(t, length(t))
        v = t + 0
        s += (u == "m") ? v * 60 : (u == "h") ? v * 3600 : (u == "d") ? v * 86400 : v
    }
    if (n != "") { exit 1 }
    print s }') || { say "DURATION must look like 90s, 10m or 1h, not $duration"; exit 2; }

targets=""
if [ $# -eq 0 ]; then
    targets=$all
else
    for want in "$@"; do
        found=""
        for t in $all; do
            case $t in
                "$want"*) targets="$targets $t"; found=yes ;;
            esac
        done
        [ -n "$found" ] || { say "no fuzz target matches $want (targets: $all)"; exit 2; }
    done
fi

# Which classes Jazzer instruments for coverage feedback, besides the project's own (io.chartgate.**).
instrument() {
    case $1 in
        CanonicalPath*) echo "io.chartgate.**" ;;
        IndexRewriter*) echo "io.chartgate.**,org.yaml.snakeyaml.**,com.fasterxml.jackson.core.**" ;;
        DistinguishedName*) echo "io.chartgate.**,org.bouncycastle.asn1.**" ;;
        PemLoader*) echo "io.chartgate.**,org.bouncycastle.asn1.**,org.bouncycastle.openssl.**,org.bouncycastle.util.io.pem.**,org.bouncycastle.cert.**,org.bouncycastle.pkcs.**" ;;
        ConfigLoader*) echo "io.chartgate.**,com.fasterxml.jackson.**,org.yaml.snakeyaml.**" ;;
    esac
}

offline=""
[ "${FUZZ_MVN_OFFLINE:-}" = 1 ] && offline="-o"
mkdir -p target/fuzz
# the fork gets the fuzzing time plus room for start-up and for Jazzer to write a finding
fork_timeout=$((seconds + 600))
failed=""
say "fuzzing for $duration each:$targets"
for t in $targets; do
    name=${t%%#*}
    log=target/fuzz/$name.log
    say "$t: fuzzing for $duration (log: $log)"
    status=0
    # JAZZER_FUZZ=1: fuzzing mode for the one selected @FuzzTest. jazzer.internal.arg.N are libFuzzer's
    # command-line arguments in Jazzer 0.24.0's JUnit integration (N=0 is argv[0]); given last, they override
    # the @FuzzTest(maxDuration) and the per-input timeout that Jazzer derives from the JUnit timeouts. JUnit's
    # own timeout (junit-platform.properties, meant for unit tests) would fail a fuzzing run that outlasts it.
    JAZZER_FUZZ=1 mvn -B $offline -Dstyle.color=never test \
        -Dtest="$t" -Dsurefire.failIfNoSpecifiedTests=false -Dsurefire.forkTimeout="$fork_timeout" \
        -Djunit.jupiter.execution.timeout.mode=disabled \
        -Djazzer.instrument="$(instrument "$name")" \
        -Djazzer.internal.arg.0=fuzz \
        -Djazzer.internal.arg.1=-max_total_time="$seconds" \
        -Djazzer.internal.arg.2=-timeout="${FUZZ_TIMEOUT:-30}" \
        -Djazzer.internal.arg.3=-print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    runs=$(grep -aEo 'stat::number_of_executed_units: [0-9]+' "$log" | tail -1 | awk '{print $2}')
    [ -n "$runs" ] || runs=$(grep -aEo 'Done [0-9]+ runs' "$log" | tail -1 | awk '{print $2}')
    secs=$(grep -aEo 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 | awk '{print $5}')
    corpus=$(find ".cifuzz-corpus/io.chartgate.fuzz.$name" -type f 2>/dev/null | wc -l | tr -d ' ')
    cov=$(grep -aEo '#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)[[:space:]]+cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 | awk '{print $4, "ft", $6}')
    if [ "$status" -eq 0 ]; then
        verdict="no finding"
    else
        verdict="FINDING or failure (exit $status), see $log"
        failed="$failed $t"
    fi
    printf '%s: %s executions in %ss, corpus %s inputs, cov %s: %s\n' \
        "$t" "${runs:-?}" "${secs:-?}" "$corpus" "${cov:-?}" "$verdict"
    if [ "$status" -ne 0 ]; then
        grep -aE '^== Java Exception|^Caused by|FuzzTestFindingException|crash-[0-9a-f]+|timeout-[0-9a-f]+' "$log" | head -8 >&2 || true
    fi
done
if [ -n "$failed" ]; then
    say "targets with findings or failures:$failed"
    git status --short -- src/test/resources/io/chartgate/fuzz >&2 || true
    exit 1
fi
