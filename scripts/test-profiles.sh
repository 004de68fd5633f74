#!/usr/bin/env bash
# The suites of the engine profiles (scripts/engines.sh --profile), one profile at a time: start
# it, export its variables (`engines.sh env`), run its tests, stop it. scripts/test.sh runs this
# after the default pair's suite; alone it needs neither the default pair nor a running profile.
#   scripts/test-profiles.sh [compat] [secure] [cluster]     (no name: all three)
#   compat   contract, scores, SciFact ingest (+ kill/resume), quality bars and `info` on
#            OpenSearch 2.19.1 and Elasticsearch 8.19.21
#   secure   users, privileges, API keys and TLS on the secured pair
#   cluster  SciFact into three OpenSearch nodes while one is killed
# Prints each step's wall time at the end.
set -euo pipefail
source "$(dirname "$0")/common.sh"

profiles=("$@")
[[ ${#profiles[@]} -gt 0 ]] || profiles=(compat secure cluster)
RUNNING=""
TIMES=()
T_ALL=$(date +%s)
step_done() { TIMES+=("$(printf '%-32s %5d s' "$1" $(($(date +%s) - $2)))"); }
finish() {
    local rc=$?
    [[ -z "$RUNNING" ]] || "$REPO_ROOT/scripts/engines.sh" stop --profile "$RUNNING" || true
    TIMES+=("$(printf '%-32s %5d s' "profiles total" $(($(date +%s) - T_ALL)))")
    printf '%s\n' "test-profiles.sh wall times:" "${TIMES[@]}" >&2
    exit "$rc"
}
trap finish EXIT

cd "$REPO_ROOT"
for profile in "${profiles[@]}"; do
    case "$profile" in
        compat) filters=(compat_ info_describes_the_older_majors) ;;
        secure) filters=(secure::) ;;
        cluster) filters=(cluster::) ;;
        *) die "unknown profile '$profile' (expected compat, secure or cluster)" ;;
    esac
    t=$(date +%s)
    RUNNING=$profile
    "$REPO_ROOT/scripts/engines.sh" start --profile "$profile"
    step_done "start --profile $profile" "$t"
    t=$(date +%s)
    (
        eval "$("$REPO_ROOT/scripts/engines.sh" env --profile "$profile")"
        cargo test --test tests -- "${filters[@]}"
    )
    step_done "tests of --profile $profile" "$t"
    "$REPO_ROOT/scripts/engines.sh" stop --profile "$profile"
    RUNNING=""
done
