#!/usr/bin/env bash
# All tests on a fresh machine: set-up (venv + ONNX Runtime, default model, engines), start both
# engines, cargo test (unit, integration against the real engines, doc tests), stop the engines;
# then, one profile at a time, start it, run its suite, stop it (scripts/engines.sh --profile):
#   compat   the contract, SciFact ingest (+ kill/resume) and quality bars on OpenSearch 2.19.1
#            and Elasticsearch 8.19.21, and `sembridge info` there
#   secure   users, privileges, API keys and TLS on the secured pair
#   cluster  SciFact into three OpenSearch nodes while one is killed
# SEMBRIDGE_PROFILES="compat secure cluster" (the default) chooses the profiles; "" runs none.
# The first run also embeds SciFact once per model into $SEMBRIDGE_HOME/testdata (minutes).
# Each step's wall time is printed at the end.
set -euo pipefail
source "$(dirname "$0")/common.sh"

PROFILES_TO_TEST="${SEMBRIDGE_PROFILES-compat secure cluster}"
RUNNING_PROFILE=""
TIMES=()
T_ALL=$(date +%s)
step_done() { TIMES+=("$(printf '%-44s %5d s' "$1" $(($(date +%s) - $2)))"); }
report() {
    TIMES+=("$(printf '%-44s %5d s' "total" $(($(date +%s) - T_ALL)))")
    printf '%s\n' "test.sh wall times:" "${TIMES[@]}" >&2
}
cleanup() {
    local rc=$?
    [[ -z "$RUNNING_PROFILE" ]] || "$REPO_ROOT/scripts/engines.sh" stop --profile "$RUNNING_PROFILE" || true
    "$REPO_ROOT/scripts/engines.sh" stop || true
    report
    exit "$rc"
}

t=$(date +%s)
"$REPO_ROOT/scripts/setup.sh" --no-build
step_done "setup" "$t"
trap cleanup EXIT
t=$(date +%s)
"$REPO_ROOT/scripts/engines.sh" start
"$REPO_ROOT/scripts/engines.sh" status
step_done "start default pair" "$t"
# The tests find the engines here (ports follow SEMBRIDGE_OS_PORT / SEMBRIDGE_ES_PORT).
export SEMBRIDGE_OS_URL="${SEMBRIDGE_OS_URL:-$("$REPO_ROOT/scripts/engines.sh" url opensearch)}"
export SEMBRIDGE_ES_URL="${SEMBRIDGE_ES_URL:-$("$REPO_ROOT/scripts/engines.sh" url elasticsearch)}"

cd "$REPO_ROOT"
t=$(date +%s)
cargo test --all-targets "$@"
cargo test --doc
step_done "cargo test (default pair)" "$t"

if [[ -n "$PROFILES_TO_TEST" ]]; then
    # The profiles' suites need no default pair: free its memory and CPU.
    "$REPO_ROOT/scripts/engines.sh" stop
fi
for profile in $PROFILES_TO_TEST; do
    case "$profile" in
        compat) filters=(compat_ info_describes_the_older_majors) ;;
        secure) filters=(secure::) ;;
        cluster) filters=(cluster::) ;;
        *) echo "test.sh: unknown profile '$profile' in SEMBRIDGE_PROFILES" >&2; exit 2 ;;
    esac
    t=$(date +%s)
    RUNNING_PROFILE=$profile
    "$REPO_ROOT/scripts/engines.sh" start --profile "$profile"
    step_done "start --profile $profile" "$t"
    t=$(date +%s)
    (
        eval "$("$REPO_ROOT/scripts/engines.sh" env --profile "$profile")"
        cargo test --test tests -- "${filters[@]}"
    )
    step_done "tests of --profile $profile" "$t"
    "$REPO_ROOT/scripts/engines.sh" stop --profile "$profile"
    RUNNING_PROFILE=""
done
