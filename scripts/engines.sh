#!/usr/bin/env bash
# Local OpenSearch / Elasticsearch engines for sembridge development and CI.
#
#   scripts/engines.sh fetch  [opensearch|elasticsearch]   download + unpack only
#   scripts/engines.sh start  [opensearch|elasticsearch]   start, wait for health
#   scripts/engines.sh stop   [opensearch|elasticsearch]   stop, no java left behind
#   scripts/engines.sh status [opensearch|elasticsearch]   exit 0 if all run, 3 otherwise
#   scripts/engines.sh url     opensearch|elasticsearch    print the http URL
#   scripts/engines.sh logs    opensearch|elasticsearch    tail the engine log
#
#   scripts/engines.sh pid     ENGINE                      print the pid of one instance
#   scripts/engines.sh env                                 export lines: URLs (+ CA, passwords)
#
# No engine name means all of the profile's. Every command takes --profile NAME:
#   default  OpenSearch 3.5.0 + Elasticsearch 9.2.8, plain HTTP (9200, 9201)
#   compat   OpenSearch 2.19.1 + Elasticsearch 8.19.21, plain HTTP (9210, 9211)
#   secure   OpenSearch 2.19.1 + security plugin, Elasticsearch 9.2.8 + xpack security, HTTPS
#            with a generated CA, users admin / writer / reader (9220, 9221)
#   cluster  three OpenSearch 3.5.0 nodes (9230-9232); ENGINE may be a node number: 1, 2, 3
# Profiles run next to each other and to the default pair. See scripts/ENGINES.md.
#
# Environment (all optional; default ports from scripts/ports.env):
#   SEMBRIDGE_OS_PORT (9200)  SEMBRIDGE_OS_TRANSPORT_PORT (9300)  SEMBRIDGE_OS_HEAP (1g)
#   SEMBRIDGE_ES_PORT (9201)  SEMBRIDGE_ES_TRANSPORT_PORT (9301)  SEMBRIDGE_ES_HEAP (1g)
#   SEMBRIDGE_ENGINE_HEAP: the heap of both when the per-engine variable is unset (default 1g;
#     the million-document benchmark, bench/bench-scale.sh, wants more, e.g. 4g)
#   SEMBRIDGE_OS_VERSION (3.5.0)  SEMBRIDGE_ES_VERSION (9.2.8)
#   SEMBRIDGE_JAVA_HOME       JDK 21+ used for the engines (default: Temurin 25 / any 21+ in /usr/lib/jvm)
#   SEMBRIDGE_ENGINES_HOME    where engines are unpacked and run (root: /var/lib/sembridge,
#                             other users: ${XDG_CACHE_HOME:-$HOME/.cache}/sembridge)
#   SEMBRIDGE_MAVEN_CACHE     download cache (default ~/.cache/sembridge/maven)
#   SEMBRIDGE_MAVEN_URL       Maven repository (default https://repo1.maven.org/maven2)
#   SEMBRIDGE_START_TIMEOUT   seconds to wait for health (120)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib/engines-common.sh
source "$SCRIPT_DIR/lib/engines-common.sh"

usage() {
    sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

main() {
    local profile=default
    local -a args=()
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --profile) profile=${2:?--profile needs a value: $PROFILES}; shift 2 ;;
            --profile=*) profile=${1#--profile=}; shift ;;
            *) args+=("$1"); shift ;;
        esac
    done
    set -- "${args[@]}"
    local cmd="${1:-}"
    [[ -n "$cmd" ]] || usage
    shift
    local -a all
    read -r -a all <<<"$(profile_instances "$profile")"
    # profile_instances ran in a subshell above; define the instances here too
    profile_instances "$profile" >/dev/null
    local engines=()
    if [[ $# -eq 0 ]]; then
        engines=("${all[@]}")
    else
        local e i
        for e in "$@"; do
            local found=0
            for i in "${all[@]}"; do
                # an engine name selects the profile's instances of that engine; a node number
                # or an instance name selects one instance
                if [[ $i == "$e" || $i == *-"$e" ]] ||
                    { [[ $e == opensearch || $e == os ]] && [[ $(engine_kind "$i") == opensearch ]]; } ||
                    { [[ $e == elasticsearch || $e == es ]] && [[ $(engine_kind "$i") == elasticsearch ]]; }; then
                    engines+=("$i")
                    found=1
                fi
            done
            ((found)) || die "unknown engine '$e' in profile $profile (instances: ${all[*]})"
        done
    fi

    case "$cmd" in
        fetch)
            prepare_base
            local e
            for e in "${engines[@]}"; do fetch_engine "$e"; done
            ;;
        start)
            prepare_base
            start_engines "${engines[@]}"
            ;;
        stop)
            local e rc=0
            for e in "${engines[@]}"; do stop_engine "$e" || rc=1; done
            return "$rc"
            ;;
        status)
            local e rc=0
            for e in "${engines[@]}"; do status_engine "$e" || rc=3; done
            return "$rc"
            ;;
        url)
            [[ ${#engines[@]} -eq 1 ]] || die "url needs exactly one engine (of: ${all[*]})"
            engine_url "${engines[0]}"
            ;;
        pid)
            [[ ${#engines[@]} -eq 1 ]] || die "pid needs exactly one engine (of: ${all[*]})"
            engine_pid "${engines[0]}"
            ;;
        env)
            profile_env "$profile"
            ;;
        logs)
            local e
            for e in "${engines[@]}"; do
                echo "==> $(engine_log "$e") <=="
                tail -n "${LINES_TAIL:-60}" "$(engine_log "$e")" 2>/dev/null || true
            done
            ;;
        -h | --help | help) usage ;;
        *) usage ;;
    esac
}

main "$@"
