#!/usr/bin/env bash
# All tests on a fresh machine: set-up (scripts/setup.sh: venv + ONNX Runtime, default model,
# engines; then scripts/setup-test.sh: what only the tests need, botocore, LangChain/Haystack,
# Chromium), start both engines, cargo test (unit, integration against the real engines, doc
# tests), cargo build --examples, stop the engines;
# then the engine profiles' suites, one profile at a time (scripts/test-profiles.sh: compat,
# secure, cluster). SEMBRIDGE_PROFILES chooses the profiles (default "compat secure cluster";
# "" runs none). The first run also embeds SciFact once per model into $SEMBRIDGE_HOME/testdata
# (minutes).
set -euo pipefail
source "$(dirname "$0")/common.sh"

T0=$(date +%s)
"$REPO_ROOT/scripts/setup.sh" --no-build
"$REPO_ROOT/scripts/setup-test.sh"
trap '"$REPO_ROOT/scripts/engines.sh" stop' EXIT
"$REPO_ROOT/scripts/engines.sh" start
"$REPO_ROOT/scripts/engines.sh" status
# The tests find the engines here (ports follow SEMBRIDGE_OS_PORT / SEMBRIDGE_ES_PORT).
export SEMBRIDGE_OS_URL="${SEMBRIDGE_OS_URL:-$("$REPO_ROOT/scripts/engines.sh" url opensearch)}"
export SEMBRIDGE_ES_URL="${SEMBRIDGE_ES_URL:-$("$REPO_ROOT/scripts/engines.sh" url elasticsearch)}"

cd "$REPO_ROOT"
cargo test --all-targets "$@"
# The library's examples (examples/) and the benchmark drivers (bench/*.rs) must keep compiling.
cargo build --examples
cargo test --doc
echo "test.sh: set-up and the default pair's suite took $(($(date +%s) - T0)) s" >&2

read -r -a profiles <<<"${SEMBRIDGE_PROFILES-compat secure cluster}"
if [[ ${#profiles[@]} -gt 0 ]]; then
    # The profiles' suites need no default pair: free its memory and CPU first.
    "$REPO_ROOT/scripts/engines.sh" stop
    "$REPO_ROOT/scripts/test-profiles.sh" "${profiles[@]}"
fi
echo "test.sh: total $(($(date +%s) - T0)) s" >&2
