#!/usr/bin/env bash
# Bounded cargo-fuzz runs of the targets in fuzz/ (docs/fuzzing.md). Not part of CI: CI runs the
# seeded `tests/fuzz_seeded.rs` of each crate instead.
#
#   scripts/fuzz.sh                 every target, 60 s each
#   scripts/fuzz.sh react_translator 300
#   FUZZ_SANITIZER=none scripts/fuzz.sh all 30     without AddressSanitizer (faster)
#
# Only a stable toolchain is needed: cargo-fuzz passes nightly `-Z` flags to rustc, which
# RUSTC_BOOTSTRAP=1 lets stable accept. Crashes land in fuzz/artifacts/<target>/; the corpus grows
# in fuzz/corpus/<target>/ (both ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:-all}
seconds=${2:-60}
sanitizer=${FUZZ_SANITIZER:-address}
jobs=${FUZZ_BUILD_JOBS:-2}

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
# The dataset target writes its index files here; RAM is faster than disk when there is one.
if [[ -z ${TMPDIR:-} && -d /dev/shm && -w /dev/shm ]]; then
    export TMPDIR=/dev/shm
fi

all_targets=(response_parser react_translator kernel_protocol perception_wire
    perception_gpu_codec evals_records evals_scoring)
if [[ $target == all ]]; then
    targets=("${all_targets[@]}")
else
    targets=("$target")
fi

# cargo-fuzz builds in release with debug assertions; 16 codegen units build much faster than
# its default of 1 on a small machine, at a small cost in executions per second.
export CARGO_BUILD_JOBS=$jobs
flags=(--sanitizer "$sanitizer" --codegen-units "${FUZZ_CODEGEN_UNITS:-16}")
if [[ $target == all ]]; then
    cargo fuzz build "${flags[@]}"
else
    cargo fuzz build "${flags[@]}" "$target"
    cargo fuzz build "${flags[@]}" seed_corpus
fi
triple=$(rustc -vV | sed -n 's/^host: //p')
seed_bin=fuzz/target/$triple/release/seed_corpus
"$seed_bin" fuzz/seeds >/dev/null

status=0
for t in "${targets[@]}"; do
    echo "== $t: ${seconds}s"
    mkdir -p "fuzz/corpus/$t"
    cargo fuzz run "${flags[@]}" "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        || status=$?
    rm -rf "${TMPDIR:-/tmp}"/spatialclaw-fuzz-* 2>/dev/null || true
done
exit $status
