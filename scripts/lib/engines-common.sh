# shellcheck shell=bash
# Helpers for scripts/engines.sh; sourced, not run. Settings, per-engine layout, users and Java
# live here; the rest, by concern, in the files sourced at the end: engines-fetch.sh (downloads,
# unpacking, k-NN plugin), engines-standins.sh (Elasticsearch stand-in plugins), engines-run.sh
# (config, start / stop / status).

_ENGINES_LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# log, die (exit 2), the default ports (scripts/ports.env).
# shellcheck source=scripts/common.sh
source "$_ENGINES_LIB/../common.sh"
LOG_TAG=engines

OS_VERSION="${SEMBRIDGE_OS_VERSION:-3.5.0}"
ES_VERSION="${SEMBRIDGE_ES_VERSION:-9.2.8}"
# The k-NN plugin version is the core version plus a fourth digit; it must match the core exactly.
KNN_VERSION="${SEMBRIDGE_KNN_VERSION:-${OS_VERSION}.0}"

OS_PORT="${SEMBRIDGE_OS_PORT:-$SEMBRIDGE_OS_PORT_DEFAULT}"
OS_TRANSPORT_PORT="${SEMBRIDGE_OS_TRANSPORT_PORT:-9300}"
# Heap: per engine, else SEMBRIDGE_ENGINE_HEAP for both (e.g. 4g for bench/bench-scale.sh), else 1g.
OS_HEAP="${SEMBRIDGE_OS_HEAP:-${SEMBRIDGE_ENGINE_HEAP:-1g}}"
ES_PORT="${SEMBRIDGE_ES_PORT:-$SEMBRIDGE_ES_PORT_DEFAULT}"
ES_TRANSPORT_PORT="${SEMBRIDGE_ES_TRANSPORT_PORT:-9301}"
ES_HEAP="${SEMBRIDGE_ES_HEAP:-${SEMBRIDGE_ENGINE_HEAP:-1g}}"

START_TIMEOUT="${SEMBRIDGE_START_TIMEOUT:-120}"
MAVEN_URL="${SEMBRIDGE_MAVEN_URL:-https://repo1.maven.org/maven2}"
MAVEN_CACHE="${SEMBRIDGE_MAVEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sembridge/maven}"
M2_REPO="${SEMBRIDGE_M2_REPO:-$HOME/.m2/repository}"

ENGINE_USER="sembridge"
if [[ $(id -u) -eq 0 ]]; then
    IS_ROOT=1
    BASE="${SEMBRIDGE_ENGINES_HOME:-/var/lib/sembridge}"
else
    IS_ROOT=0
    BASE="${SEMBRIDGE_ENGINES_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/sembridge}"
fi

# ---------------------------------------------------------------------------------------------
# Instances: one running engine process each. The default pair are the instances `opensearch`
# and `elasticsearch`; the profiles (lib/engines-profiles.sh) add their own (compat-os,
# secure-es, cluster-os-2, ...). Every function below takes an instance name.

declare -A I_KIND=() I_VERSION=() I_PORT=() I_TPORT=() I_HEAP=() I_FLAVOR=()
# define_instance NAME KIND VERSION HTTP_PORT TRANSPORT_PORT HEAP [FLAVOR: plain|secure|cluster]
define_instance() {
    I_KIND[$1]=$2 I_VERSION[$1]=$3 I_PORT[$1]=$4 I_TPORT[$1]=$5 I_HEAP[$1]=$6 I_FLAVOR[$1]=${7:-plain}
}
define_instance opensearch opensearch "$OS_VERSION" "$OS_PORT" "$OS_TRANSPORT_PORT" "$OS_HEAP"
define_instance elasticsearch elasticsearch "$ES_VERSION" "$ES_PORT" "$ES_TRANSPORT_PORT" "$ES_HEAP"

is_default_instance() { [[ $1 == opensearch || $1 == elasticsearch ]]; }
engine_kind() { echo "${I_KIND[$1]:?unknown instance $1}"; }
engine_flavor() { echo "${I_FLAVOR[$1]}"; }
engine_version() { echo "${I_VERSION[$1]:?unknown instance $1}"; }
engine_port() { echo "${I_PORT[$1]}"; }
engine_tport() { echo "${I_TPORT[$1]}"; }
engine_heap() { echo "${I_HEAP[$1]}"; }
# The default pair run out of $BASE/engines/<kind>-<version> with their config in it, as always.
# Profile instances run out of $BASE/profiles/<kind>-<version> (a symlink to the default pair's
# unpack when the version is the same) with a config directory of their own, so that neither
# pattern of engine_stray_pids can ever match the other's processes.
engine_home() {
    if is_default_instance "$1"; then
        echo "$BASE/engines/$(engine_kind "$1")-$(engine_version "$1")"
    else
        echo "$BASE/profiles/$(engine_kind "$1")-$(engine_version "$1")"
    fi
}
engine_conf() {
    if is_default_instance "$1"; then echo "$(engine_home "$1")/config"; else echo "$BASE/conf/$1"; fi
}
engine_data() {
    if is_default_instance "$1"; then echo "$BASE/data/$1-$(engine_version "$1")"; else echo "$BASE/data/$1"; fi
}
engine_logdir() { echo "$BASE/logs/$1"; }
engine_log() {
    if is_default_instance "$1"; then
        echo "$BASE/logs/$1/sembridge-$1.log"
    else
        echo "$BASE/logs/$1/$(engine_cluster_name "$1").log"
    fi
}
engine_startup_log() { echo "$BASE/logs/$1/startup.out"; }
engine_pidfile() { echo "$BASE/run/$1.pid"; }
engine_scheme() { if [[ $(engine_flavor "$1") == secure ]]; then echo https; else echo http; fi; }
engine_url() { echo "$(engine_scheme "$1")://127.0.0.1:$(engine_port "$1")"; }
engine_cluster_name() {
    case "$(engine_flavor "$1")" in
        cluster) echo "sembridge-cluster" ;;
        *) if is_default_instance "$1"; then echo "sembridge-$1"; else echo "sembridge-$1"; fi ;;
    esac
}

# ---------------------------------------------------------------------------------------------
# Users and directories

prepare_base() {
    if [[ $IS_ROOT -eq 1 ]]; then
        if ! id -u "$ENGINE_USER" >/dev/null 2>&1; then
            log "creating system user $ENGINE_USER"
            useradd --system --user-group --home-dir "$BASE" --no-create-home \
                --shell /usr/sbin/nologin "$ENGINE_USER"
        fi
    fi
    mkdir -p "$BASE"/{engines,data,logs,run,profiles,conf} "$MAVEN_CACHE"
    if [[ $IS_ROOT -eq 1 ]]; then
        chown "$ENGINE_USER:" "$BASE" "$BASE"/{engines,data,logs,run,profiles,conf}
    fi
}

# Run a command as the engine user (root) or as ourselves (anyone else).
run_as() {
    if [[ $IS_ROOT -eq 1 ]]; then
        runuser -u "$ENGINE_USER" -- "$@"
    else
        "$@"
    fi
}

own() {
    if [[ $IS_ROOT -eq 1 ]]; then chown -R "$ENGINE_USER:" "$@"; fi
}

# ---------------------------------------------------------------------------------------------
# Java

java_major() { # JAVA_HOME -> major version, or nothing
    local jh=$1 v
    [[ -x "$jh/bin/java" ]] || return 0
    if [[ -f "$jh/release" ]]; then
        v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$jh/release")
    else
        v=$("$jh/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
    fi
    echo "$v"
}

# Instance -> JAVA_HOME (java_home_for KIND VERSION does the work).
engine_java_home() { java_home_for "$(engine_kind "$1")" "$(engine_version "$1")"; }

# OpenSearch 3.x and Elasticsearch 9.x need Java 21+ (we take the newest); OpenSearch 2.x and
# Elasticsearch 8.x run on Java 17/21 (OpenSearch 2.x needs the security manager, gone in Java
# 24), so take the newest JDK up to 21 for those.
java_home_for() {
    local engine=$1 version=$2 min max jh m best="" bestm=0
    if [[ $engine == opensearch && ${version%%.*} -ge 3 ]] || [[ $engine == elasticsearch && ${version%%.*} -ge 9 ]]; then
        min=21 max=999
    else
        min=17 max=21
    fi
    if [[ -n "${SEMBRIDGE_JAVA_HOME:-}" ]]; then
        echo "$SEMBRIDGE_JAVA_HOME"
        return
    fi
    for jh in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/* "${JAVA_HOME:-}"; do
        [[ -n "$jh" && -d "$jh" && ! -L "$jh" ]] || continue
        m=$(java_major "$jh")
        [[ -n "$m" ]] || continue
        if ((m >= min && m <= max && m > bestm)); then best=$jh bestm=$m; fi
    done
    [[ -n "$best" ]] || die "$engine $version needs a JDK $min..$max (none found in /usr/lib/jvm; set SEMBRIDGE_JAVA_HOME)"
    echo "$best"
}


# shellcheck source=scripts/lib/engines-fetch.sh
source "$_ENGINES_LIB/engines-fetch.sh"
# shellcheck source=scripts/lib/engines-standins.sh
source "$_ENGINES_LIB/engines-standins.sh"
# shellcheck source=scripts/lib/engines-run.sh
source "$_ENGINES_LIB/engines-run.sh"
# shellcheck source=scripts/lib/engines-profiles.sh
source "$_ENGINES_LIB/engines-profiles.sh"
