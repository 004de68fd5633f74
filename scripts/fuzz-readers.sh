#!/usr/bin/env bash
# Fuzzes the input readers (corpus in every format, queries, qrels) with the proptests in
# src/corpus/tests/fuzz_readers.rs (`fuzz_*`: arbitrary bytes and near-valid fragments, written as files), with
# many more cases than a normal `cargo test`, for a bounded time. No nightly or cargo-fuzz needed.
#
#   scripts/fuzz-readers.sh                  # 20000 cases per test, at most 600 s
#   PROPTEST_CASES=200000 FUZZ_SECONDS=1800 scripts/fuzz-readers.sh
#
# Exit status: 0 when no failure was found (also when the time limit stopped the run), 1 on a
# failure (proptest prints the minimal failing input and saves it under proptest-regressions/).
set -uo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sembridge/target}"
cases="${PROPTEST_CASES:-20000}"
limit="${FUZZ_SECONDS:-600}"

# Build outside the time limit, and run the test binary itself so `timeout` stops the tests.
build_log=$(cargo test --lib --no-run 2>&1) || { echo "$build_log" >&2; exit 1; }
bin=$(printf '%s\n' "$build_log" | sed -n 's/.*Executable unittests src\/lib\.rs (\(.*\))$/\1/p' | tail -n 1)
if [[ -z "$bin" || ! -x "$bin" ]]; then
    echo "fuzz-readers: could not find the unit test binary in cargo's output" >&2
    echo "$build_log" >&2
    exit 1
fi

echo "fuzz-readers: PROPTEST_CASES=$cases, time limit ${limit}s"
start=$(date +%s)
PROPTEST_CASES="$cases" timeout "$limit" "$bin" corpus::tests::fuzz_ --test-threads 2
rc=$?
elapsed=$(( $(date +%s) - start ))

case $rc in
    0) echo "fuzz-readers: no failure in ${cases} cases per test; ran ${elapsed}s" ;;
    124) echo "fuzz-readers: time limit reached after ${elapsed}s with no failure so far"; rc=0 ;;
    *) echo "fuzz-readers: FAILED after ${elapsed}s (exit $rc)" ;;
esac
exit $rc
