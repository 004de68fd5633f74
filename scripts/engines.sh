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
# No engine name means both. See scripts/ENGINES.md for details.
#
# Environment (all optional; default ports from scripts/ports.env):
#   SEMBRIDGE_OS_PORT (9200)  SEMBRIDGE_OS_TRANSPORT_PORT (9300)  SEMBRIDGE_OS_HEAP (1g)
#   SEMBRIDGE_ES_PORT (9201)  SEMBRIDGE_ES_TRANSPORT_PORT (9301)  SEMBRIDGE_ES_HEAP (1g)
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
    sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

main() {
    local cmd="${1:-}"
    [[ -n "$cmd" ]] || usage
    shift
    local engines=()
    if [[ $# -eq 0 ]]; then
        engines=(opensearch elasticsearch)
    else
        local e
        for e in "$@"; do
            case "$e" in
                opensearch | os) engines+=(opensearch) ;;
                elasticsearch | es) engines+=(elasticsearch) ;;
                *) die "unknown engine '$e' (expected opensearch or elasticsearch)" ;;
            esac
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
            [[ ${#engines[@]} -eq 1 ]] || die "url needs exactly one engine"
            engine_url "${engines[0]}"
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
