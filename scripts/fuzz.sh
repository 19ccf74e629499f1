#!/usr/bin/env bash
# Builds the libFuzzer harness (Fuzz/, target HTTP1Fuzzer) and fuzzes EventideHTTP1's
# HTTPServerConnection / HTTPRequestParser for SECONDS (default 300).
#
#   scripts/fuzz.sh [SECONDS] [extra libFuzzer flags...]
#   FUZZ_JOBS=2 scripts/fuzz.sh 600       # two fuzzing processes sharing one corpus
#   FUZZ_CONFIG=debug scripts/fuzz.sh     # debug build (slower, default is release)
#
# The checked-in seeds (Fuzz/corpus) are copied to a working corpus (Fuzz/.build-fuzz/corpus,
# kept between runs and merged with new seeds) so the checked-in corpus is never modified.
# Crashers are written to Fuzz/.build-fuzz/artifacts/. Reproduce one with
#   Fuzz/.build-fuzz/release/HTTP1Fuzzer Fuzz/.build-fuzz/artifacts/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-300}
shift || true
config=${FUZZ_CONFIG:-release}
jobs=${FUZZ_JOBS:-1}
scratch=Fuzz/.build-fuzz

echo "=== building HTTP1Fuzzer ($config, -sanitize=fuzzer,address)"
swift build --package-path Fuzz -c "$config" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING \
    --scratch-path "$scratch" 2>&1 | grep -v "Cannot export local symbol" | tail -3
fuzzer="$scratch/$config/HTTP1Fuzzer"
[ -x "$fuzzer" ] || { echo "build failed: $fuzzer missing" >&2; exit 1; }

mkdir -p "$scratch/corpus" "$scratch/artifacts" "$scratch/logs"
cp -n Fuzz/corpus/* "$scratch/corpus/"

# Swift's crash backtracer can hang for minutes inside libFuzzer; libFuzzer/ASan print stacks.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}

echo "=== fuzzing for $seconds s with $jobs process(es)"
pids=()
for n in $(seq 1 "$jobs"); do
    "$fuzzer" -max_len=8192 -len_control=100 -timeout=10 -rss_limit_mb=2048 \
        -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$scratch/artifacts/" -seed="$RANDOM$n" \
        "$@" "$scratch/corpus" Fuzz/corpus >"$scratch/logs/fuzz-$n.log" 2>&1 &
    pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=$?; done

total=0
for n in $(seq 1 "$jobs"); do
    log="$scratch/logs/fuzz-$n.log"
    runs=$(grep -E "stat::number_of_executed_units" "$log" | awk '{print $2}' | tail -1)
    if [ -z "$runs" ]; then
        # Stopped by a crash: the last status line has the count.
        runs=$(grep -oE "^#[0-9]+" "$log" | tail -1 | tr -d '#')
    fi
    total=$((total + ${runs:-0}))
    echo "--- process $n: ${runs:-0} executions ($log)"
    grep -E "^#[0-9]+.*(DONE|pulse)" "$log" | tail -1 || true
    grep -E "ERROR: (libFuzzer|AddressSanitizer)|Fatal error|invariant violated|Test unit written" "$log" | head -5 || true
done
echo "total executions: $total"
ls "$scratch/artifacts" 2>/dev/null | sed 's/^/artifact: /' || true
exit $status
