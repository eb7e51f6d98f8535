#!/usr/bin/env bash
# Run bench-wrappers under callgrind and print instructions per call, direct
# libvirt call vs generated wrapper.  Builds nothing: give it the binary or a
# build directory that holds bench/bench-wrappers.
#
#   run-bench.sh [-n ITERATIONS] [-o CALLGRIND_OUT] BINARY|BUILDDIR
#
# Reports only: a missed goal does not make it fail.  Exits non-zero only when
# the benchmark itself cannot run or gives wrong results; 77 (skip) when
# valgrind is not installed.
set -euo pipefail

usage() {
    echo "usage: $0 [-n ITERATIONS] [-o CALLGRIND_OUT] BINARY|BUILDDIR" >&2
    exit 2
}

iterations=20000
out=
while getopts 'n:o:h' opt; do
    case $opt in
        n) iterations=$OPTARG ;;
        o) out=$OPTARG ;;
        *) usage ;;
    esac
done
shift $((OPTIND - 1))
(($# == 1)) || usage
[[ $iterations =~ ^[1-9][0-9]*$ ]] || { echo "$0: bad iteration count '$iterations'" >&2; exit 2; }

bin=$1
if [ -d "$bin" ]; then
    bin=$bin/bench/bench-wrappers
fi
if [ ! -x "$bin" ]; then
    echo "$0: no bench-wrappers binary at '$bin' (build it first)" >&2
    exit 2
fi

for tool in valgrind callgrind_annotate; do
    if ! command -v "$tool" >/dev/null; then
        echo "$0: $tool not found; skipping (install valgrind)" >&2
        exit 77
    fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -n "$out" ] || out=$tmp/callgrind.out

if ! valgrind --tool=callgrind --callgrind-out-file="$out" \
        "$bin" "$iterations" >"$tmp/run.log" 2>&1; then
    echo "$0: benchmark run failed:" >&2
    cat "$tmp/run.log" >&2
    exit 1
fi

callgrind_annotate --inclusive=yes --threshold=100 --auto=no "$out" >"$tmp/annotate.txt"

# Inclusive Ir of one bench_* function: the count on the line naming it.
inclusive() {
    local ir
    ir=$(awk -v fn="$1" '
        { for (i = 2; i <= NF; i++) if ($i ~ (":" fn "$")) { gsub(",", "", $1); print $1; exit } }
    ' "$tmp/annotate.txt")
    if [ -z "$ir" ]; then
        echo "$0: no cost for $1 in the callgrind output ($out)" >&2
        exit 1
    fi
    echo "$ir"
}

base=$(inclusive bench_loop_baseline)
rows=()
for pair in \
    'virConnectNumOfDomains:num_domains:success' \
    'virDomainGetName:get_name:success' \
    'virDomainGetInfo:get_info:success' \
    'virDomainLookupByName (error):lookup_missing:error'; do
    IFS=: read -r label fn kind <<<"$pair"
    rows+=("$label|$(inclusive "bench_${fn}_direct")|$(inclusive "bench_${fn}_wrapper")|$kind")
done

printf '%s\n' "${rows[@]}" | awk -F'|' -v n="$iterations" -v base="$base" '
BEGIN {
    b = base / n
    printf "wrapper overhead: callgrind Ir per call, %d calls each, loop-only baseline (%.1f Ir/iter) subtracted\n", n, b
    printf "%-30s %9s %9s %9s %8s  %s\n", "call", "direct", "wrapper", "overhead", "%", "goal <=2%"
}
{
    d = $2 / n - b; w = $3 / n - b; o = w - d; p = 100 * o / d
    if ($4 == "success") {
        verdict = (p <= 2.0) ? "PASS" : "MISS"
        if (verdict == "PASS") pass++; else miss++
    } else {
        verdict = "n/a (error path)"
    }
    printf "%-30s %9.1f %9.1f %9.1f %7.2f%%  %s\n", $1, d, w, o, p, verdict
}
END {
    printf "goal: success-path overhead <= 2%%: %d PASS, %d MISS (reported, not enforced)\n", pass, miss
    print "error path: direct = the plain call (error left in libvirt'"'"'s thread-local slot for"
    print "  virGetLastError); wrapper = the call + virCopyLastError into err + virResetLastError"
    print "  + freeing the previous copy, i.e. overhead includes capturing the error."
}'
