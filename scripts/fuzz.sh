#!/bin/sh
# Fuzzes every parser of outside bytes (safetensors + checkpoint metadata, .npy, the
# spectrogram cache entry, config.json) with libFuzzer, SECONDS per target (default 60).
# Builds Sources/cgan-fuzz in release with AddressSanitizer and libFuzzer's coverage
# instrumentation into .build/fuzz, seeds each corpus with the target's own valid inputs and
# the repository's fixtures, and fails on the first crash (the input is left in
# .build/fuzz/artifacts/; replay it with `swift run cgan-fuzz TARGET FILE`).
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-safetensors npy cache config}

# -sanitize=fuzzer links libFuzzer's own main, which clashes with the entry point SwiftPM gives
# every executable; so: coverage instrumentation, ASan, and libFuzzer without its main
# (cgan-fuzz's main calls LLVMFuzzerRunDriver).
resource=$(dirname "$(dirname "$(command -v swiftc)")")/lib/clang
nomain=$(find "$resource" -name 'libclang_rt.fuzzer_no_main-x86_64.a' | head -1)
[ -n "$nomain" ] || { echo "fuzz.sh: libclang_rt.fuzzer_no_main not found under $resource" >&2; exit 1; }
bin=.build/fuzz/release/cgan-fuzz
rm -f "$bin"   # a stale binary must not stand in for a build that failed
swift build --build-path .build/fuzz -c release --product cgan-fuzz \
    -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
    -Xswiftc -DFUZZING -Xlinker "$nomain" -Xlinker -lstdc++ 2>&1 | grep -v 'ld.gold: warning' || true
[ -x "$bin" ] || { echo "fuzz.sh: build failed" >&2; exit 1; }

work=.build/fuzz/work
rm -rf "$work/seeds"
mkdir -p "$work" .build/fuzz/artifacts
"$bin" seeds "$work/seeds"
cp Tests/EngineTests/Fixtures/*.safetensors "$work/seeds/safetensors/"
cp Tests/AudioTests/Fixtures/short_0.1s_22050_mono_float.logmel.npy "$work/seeds/npy/"

for t in $targets; do
    mkdir -p "$work/corpus/$t"
    rm -f .build/fuzz/artifacts/"$t"-*
    echo "fuzz.sh: $t for $seconds s"
    # The corpus grows across runs in .build/fuzz/work; inputs up to 64 KB (headers, not weights).
    log="$work/$t.log"
    CGAN_FUZZ_TARGET=$t "$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix=.build/fuzz/artifacts/"$t"- \
        "$work/corpus/$t" "$work/seeds/$t" >"$log" 2>&1 || true
    grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|ERROR|SUMMARY|stat::|Test unit written|==[0-9]+==' "$log" || true
    if ls .build/fuzz/artifacts/"$t"-* >/dev/null 2>&1; then
        echo "fuzz.sh: $t crashed; inputs in .build/fuzz/artifacts/" >&2
        exit 1
    fi
    # A run that never got going (bad flags, a target name the binary does not know) is a failure too.
    grep -qE '^#[0-9]+[[:space:]]+DONE' "$log" || { echo "fuzz.sh: $t did not run to the end; see $log" >&2; tail -5 "$log" >&2; exit 1; }
done
echo "fuzz.sh: no crashes"
