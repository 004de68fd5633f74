# shellcheck shell=bash
# Helpers for scripts/engines.sh; sourced, not run.

OS_VERSION="${SEMBRIDGE_OS_VERSION:-3.5.0}"
ES_VERSION="${SEMBRIDGE_ES_VERSION:-9.2.8}"
# The k-NN plugin version is the core version plus a fourth digit; it must match the core exactly.
KNN_VERSION="${SEMBRIDGE_KNN_VERSION:-${OS_VERSION}.0}"

OS_PORT="${SEMBRIDGE_OS_PORT:-9200}"
OS_TRANSPORT_PORT="${SEMBRIDGE_OS_TRANSPORT_PORT:-9300}"
OS_HEAP="${SEMBRIDGE_OS_HEAP:-1g}"
ES_PORT="${SEMBRIDGE_ES_PORT:-9201}"
ES_TRANSPORT_PORT="${SEMBRIDGE_ES_TRANSPORT_PORT:-9301}"
ES_HEAP="${SEMBRIDGE_ES_HEAP:-1g}"

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

log() { printf '[engines %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
    printf 'engines: error: %s\n' "$*" >&2
    exit 1
}

# ---------------------------------------------------------------------------------------------
# Per-engine layout

engine_version() { if [[ $1 == opensearch ]]; then echo "$OS_VERSION"; else echo "$ES_VERSION"; fi; }
engine_port() { if [[ $1 == opensearch ]]; then echo "$OS_PORT"; else echo "$ES_PORT"; fi; }
engine_tport() { if [[ $1 == opensearch ]]; then echo "$OS_TRANSPORT_PORT"; else echo "$ES_TRANSPORT_PORT"; fi; }
engine_heap() { if [[ $1 == opensearch ]]; then echo "$OS_HEAP"; else echo "$ES_HEAP"; fi; }
engine_home() { echo "$BASE/engines/$1-$(engine_version "$1")"; }
engine_data() { echo "$BASE/data/$1-$(engine_version "$1")"; }
engine_logdir() { echo "$BASE/logs/$1"; }
engine_log() { echo "$BASE/logs/$1/sembridge-$1.log"; }
engine_startup_log() { echo "$BASE/logs/$1/startup.out"; }
engine_pidfile() { echo "$BASE/run/$1.pid"; }
engine_url() { echo "http://127.0.0.1:$(engine_port "$1")"; }

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
    mkdir -p "$BASE"/{engines,data,logs,run} "$MAVEN_CACHE"
    if [[ $IS_ROOT -eq 1 ]]; then
        chown "$ENGINE_USER:" "$BASE" "$BASE"/{engines,data,logs,run}
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

# Engine -> JAVA_HOME. OpenSearch 3.x and Elasticsearch 9.x need Java 21+ (we take the newest);
# OpenSearch 2.x and Elasticsearch 8.x run on Java 17/21 (OpenSearch 2.x needs the security
# manager, gone in Java 24), so take the newest JDK up to 21 for those.
engine_java_home() {
    local engine=$1 version min max jh m best="" bestm=0
    version=$(engine_version "$engine")
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

# ---------------------------------------------------------------------------------------------
# Maven downloads

# maven_fetch GROUP ARTIFACT VERSION EXT -> prints the local path of the artifact
maven_fetch() {
    local g=$1 a=$2 v=$3 ext=$4 rel path m2 tmp
    rel="${g//.//}/$a/$v/$a-$v.$ext"
    path="$MAVEN_CACHE/$rel"
    m2="$M2_REPO/$rel"
    if [[ -s "$path" ]]; then
        echo "$path"
        return
    fi
    mkdir -p "$(dirname "$path")"
    if [[ -s "$m2" ]]; then
        cp "$m2" "$path.part" && mv "$path.part" "$path"
        echo "$path"
        return
    fi
    log "downloading $g:$a:$v:$ext"
    if curl -fsSL --retry 3 --connect-timeout 20 -o "$path.part" "$MAVEN_URL/$rel"; then
        mv "$path.part" "$path"
        echo "$path"
        return
    fi
    rm -f "$path.part"
    if command -v mvn >/dev/null 2>&1; then
        log "curl failed; trying mvn dependency:get"
        if mvn -q -B dependency:get -Dtransitive=false "-Dartifact=$g:$a:$v:$ext" >&2 && [[ -s "$m2" ]]; then
            cp "$m2" "$path.part" && mv "$path.part" "$path"
            echo "$path"
            return
        fi
    fi
    die "could not download $g:$a:$v:$ext"
}

# ---------------------------------------------------------------------------------------------
# Unpacking

fetch_engine() {
    local engine=$1 version home zip tmp
    version=$(engine_version "$engine")
    home=$(engine_home "$engine")
    if [[ -f "$home/.sembridge-ready" ]]; then
        if [[ $engine == elasticsearch ]] && es_standins_stale "$home"; then
            install_es_standins "$home"
            if engine_alive elasticsearch; then
                log "elasticsearch is running; restart it to load the rebuilt stand-in plugins"
            fi
        fi
        return 0
    fi
    if [[ $engine == opensearch ]]; then
        zip=$(maven_fetch org.opensearch.distribution.integ-test-zip opensearch "$version" zip)
    else
        zip=$(maven_fetch org.elasticsearch.distribution.integ-test-zip elasticsearch "$version" zip)
    fi
    log "unpacking $engine $version into $home"
    tmp=$(mktemp -d "$BASE/engines/.unpack.XXXXXX")
    unzip -q "$zip" -d "$tmp"
    [[ -d "$tmp/$engine-$version" ]] || die "unexpected layout in $zip"
    rm -rf "$home"
    mv "$tmp/$engine-$version" "$home"
    rmdir "$tmp"
    if [[ $engine == opensearch ]]; then
        install_knn_plugin "$home"
    else
        install_es_standins "$home"
    fi
    own "$home"
    touch "$home/.sembridge-ready"
}

# Install the k-NN plugin by unpacking its zip into plugins/ (what `opensearch-plugin install`
# does for a plugin without bin/ or config/ files). Extended plugins the distribution lacks
# (lang-painless is missing from some integ-test-zips) are dropped from the descriptor; k-NN
# only needs lang-painless for its painless scoring functions.
install_knn_plugin() {
    local home=$1 zip dir desc ext kept="" p
    zip=$(maven_fetch org.opensearch.plugin opensearch-knn "$KNN_VERSION" zip)
    dir="$home/plugins/opensearch-knn"
    rm -rf "$dir"
    mkdir -p "$dir"
    unzip -q "$zip" -d "$dir"
    desc="$dir/plugin-descriptor.properties"
    [[ -f "$desc" ]] || die "no plugin descriptor in $zip"
    ext=$(sed -n 's/^extended\.plugins=//p' "$desc")
    if [[ -n "$ext" ]]; then
        local IFS=,
        for p in $ext; do
            local name=${p%%;*}
            if [[ -d "$home/modules/$name" || -d "$home/plugins/$name" ]]; then
                kept="${kept:+$kept,}$p"
            else
                log "k-NN: dropping missing extended plugin '$name' from its descriptor"
            fi
        done
        unset IFS
        sed -i "s/^extended\.plugins=.*/extended.plugins=$kept/" "$desc"
    fi
}

# Stand-ins for modules that the normal Elasticsearch distribution bundles but the integ-test-zip
# lacks, and that are not on Maven Central. Each is a small classic plugin compiled against the
# distribution's own lib/*.jar (see scripts/ENGINES.md):
#   es-rest-root  GET / (rest-root module; without it GET / answers 405)
#   es-analysis   english analyzer, porter_stem / stemmer filters, whitespace tokenizer
#                 (the part of the analysis-common module that sembridge uses)
# Entries: source dir under scripts/lib : plugin name : plugin class : description.
ES_STANDINS=(
    "es-rest-root:sembridge-rest-root:org.sembridge.restroot.SembridgeRestRootPlugin:GET / for the integ-test-zip (stand-in for the rest-root module)"
    "es-analysis:sembridge-analysis:org.sembridge.analysis.SembridgeAnalysisPlugin:english analysis for the integ-test-zip (stand-in for part of the analysis-common module)"
)

# Fingerprint of a stand-in build: its sources, the ES version and the JDK. A plugin whose stamp
# differs (or that is missing) is rebuilt; an unchanged one is left alone.
es_standin_hash() {
    local srcdir=$1 jh=$2
    {
        echo "$(engine_version elasticsearch) java=$(java_major "$jh")"
        cat "$srcdir"/*.java
    } | sha256sum | cut -d' ' -f1
}

es_standin_stamp() { echo "$1/.sembridge-standins/$2.sha256"; }

# es_standins_stale HOME : exit 0 if some stand-in plugin is missing or built from other sources
es_standins_stale() {
    local home=$1 jh entry srcdir name stamp
    jh=$(engine_java_home elasticsearch)
    for entry in "${ES_STANDINS[@]}"; do
        IFS=: read -r srcdir name _ <<<"$entry"
        stamp=$(es_standin_stamp "$home" "$name")
        [[ -d "$home/plugins/$name" && -s "$stamp" ]] || return 0
        [[ "$(cat "$stamp")" == "$(es_standin_hash "$SCRIPT_DIR/lib/$srcdir" "$jh")" ]] || return 0
    done
    return 1
}

# install_es_standins HOME : (re)build the stand-ins that are missing or stale. A failed build
# only costs what the plugin provides, so it is a warning (and retried at the next start).
install_es_standins() {
    local home=$1 jh entry srcdir name class desc hash stamp tmp dir version
    version=$(engine_version elasticsearch)
    jh=$(engine_java_home elasticsearch)
    if [[ ! -x "$jh/bin/javac" ]]; then
        log "warning: $jh has no javac; elasticsearch gets no stand-in plugins (GET /, english analysis)"
        return 0
    fi
    mkdir -p "$home/.sembridge-standins"
    for entry in "${ES_STANDINS[@]}"; do
        IFS=: read -r srcdir name class desc <<<"$entry"
        hash=$(es_standin_hash "$SCRIPT_DIR/lib/$srcdir" "$jh")
        stamp=$(es_standin_stamp "$home" "$name")
        dir="$home/plugins/$name"
        if [[ -d "$dir" && -s "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then
            continue
        fi
        tmp=$(mktemp -d)
        if "$jh/bin/javac" --release 21 -proc:none -nowarn -cp "$home/lib/*" -d "$tmp/classes" \
            "$SCRIPT_DIR/lib/$srcdir"/*.java >"$tmp/javac.out" 2>&1 &&
            "$jh/bin/jar" cf "$tmp/$name.jar" -C "$tmp/classes" .; then
            rm -rf "$dir"
            mkdir -p "$dir"
            cp "$tmp/$name.jar" "$dir/"
            cat >"$dir/plugin-descriptor.properties" <<EOF
description=$desc, built by scripts/engines.sh
version=$version
name=$name
classname=$class
java.version=21
elasticsearch.version=$version
extended.plugins=
has.native.controller=false
EOF
            echo "$hash" >"$stamp"
            log "built the $name plugin for elasticsearch $version"
        else
            log "warning: could not build the $name plugin for elasticsearch $version:"
            tail -n 20 "$tmp/javac.out" >&2 || true
        fi
        rm -rf "$tmp"
    done
    own "$home/plugins" "$home/.sembridge-standins"
}

# ---------------------------------------------------------------------------------------------
# Configuration (rewritten at every start, so port / heap overrides take effect)

write_config() {
    local engine=$1 home data logs cfg
    home=$(engine_home "$engine")
    data=$(engine_data "$engine")
    logs=$(engine_logdir "$engine")
    mkdir -p "$data" "$logs"
    own "$data" "$logs"
    if [[ $engine == opensearch ]]; then
        cfg="$home/config/opensearch.yml"
    else
        cfg="$home/config/elasticsearch.yml"
    fi
    {
        echo "# Written by scripts/engines.sh; rewritten at every start."
        echo "cluster.name: sembridge-$engine"
        echo "node.name: sembridge-$engine-1"
        echo "path.data: $data"
        echo "path.logs: $logs"
        echo "network.host: 127.0.0.1"
        echo "http.port: $(engine_port "$engine")"
        echo "transport.port: $(engine_tport "$engine")"
        echo "discovery.type: single-node"
        echo "cluster.routing.allocation.disk.threshold_enabled: false"
        echo "action.destructive_requires_name: false"
        if [[ $engine == elasticsearch ]]; then
            # The integ-test-zip ships x-pack-core and x-pack-security only (no ML, no geoip),
            # so no xpack.ml.* / ingest.geoip.* settings: they would be unknown settings.
            echo "xpack.security.enabled: false"
        fi
    } >"$cfg"
    own "$cfg"
}

# ---------------------------------------------------------------------------------------------
# Process handling

engine_pid() { # prints the pid if our engine process is alive
    local pf pid
    pf=$(engine_pidfile "$1")
    [[ -s "$pf" ]] || return 1
    pid=$(tr -dc '0-9' <"$pf")
    [[ -n "$pid" ]] || return 1
    if kill -0 "$pid" 2>/dev/null && grep -qa java "/proc/$pid/cmdline" 2>/dev/null; then
        echo "$pid"
        return 0
    fi
    return 1
}

engine_alive() { engine_pid "$1" >/dev/null || [[ -n "$(engine_stray_pids "$1")" ]]; }

# pids of java processes running out of any unpacked version of this engine
engine_stray_pids() {
    pgrep -f -- "$BASE/engines/$1-[0-9][^ ]*/lib" || true
}

http_get() { curl -sS --max-time "${2:-5}" "$1" 2>/dev/null; }

# prints "<distribution> <version>" for whatever answers on the engine's port
probe_root() {
    local body dist ver
    body=$(http_get "$(engine_url "$1")/") || return 1
    ver=$(printf '%s' "$body" | sed -n 's/.*"number" *: *"\([^"]*\)".*/\1/p' | head -n1)
    if [[ -z "$ver" ]]; then
        # no GET / (Elasticsearch integ-test-zip without the rest-root stand-in)
        body=$(http_get "$(engine_url "$1")/_nodes/_local?filter_path=nodes.*.version") || return 1
        ver=$(printf '%s' "$body" | sed -n 's/.*"version" *: *"\([^"]*\)".*/\1/p' | head -n1)
        [[ -n "$ver" ]] || return 1
        echo "elasticsearch $ver"
        return 0
    fi
    if printf '%s' "$body" | grep -q '"distribution" *: *"opensearch"'; then dist=opensearch; else dist=elasticsearch; fi
    echo "$dist $ver"
}

healthy() {
    curl -sSf --max-time 10 \
        "$(engine_url "$1")/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null 2>&1
}

print_failure() {
    local engine=$1
    echo "---- $(engine_startup_log "$engine") (tail) ----" >&2
    tail -n 40 "$(engine_startup_log "$engine")" >&2 2>/dev/null || true
    echo "---- $(engine_log "$engine") (tail) ----" >&2
    tail -n 80 "$(engine_log "$engine")" >&2 2>/dev/null || true
}

LAUNCHER_PID=""
launch_engine() { # starts the engine in the background; sets LAUNCHER_PID
    local engine=$1 home jh heap out
    home=$(engine_home "$engine")
    jh=$(engine_java_home "$engine")
    heap=$(engine_heap "$engine")
    out=$(engine_startup_log "$engine")
    rm -f "$(engine_pidfile "$engine")"
    : >"$out"
    own "$out"
    local -a envs=(env -u JAVA_TOOL_OPTIONS -u JAVA_HOME "HOME=$BASE")
    if [[ $engine == opensearch ]]; then
        envs+=("OPENSEARCH_JAVA_HOME=$jh" "OPENSEARCH_PATH_CONF=$home/config"
            "OPENSEARCH_JAVA_OPTS=-Xms$heap -Xmx$heap ${SEMBRIDGE_OS_JAVA_OPTS:-}")
        log "starting opensearch $(engine_version "$engine") (java $(java_major "$jh"), heap $heap) on $(engine_url "$engine")"
        (cd "$home" && run_as setsid "${envs[@]}" bin/opensearch -d -p "$(engine_pidfile "$engine")") \
            </dev/null >>"$out" 2>&1 &
    else
        envs+=("ES_JAVA_HOME=$jh" "ES_PATH_CONF=$home/config"
            "ES_JAVA_OPTS=-Xms$heap -Xmx$heap ${SEMBRIDGE_ES_JAVA_OPTS:-}")
        log "starting elasticsearch $(engine_version "$engine") (java $(java_major "$jh"), heap $heap) on $(engine_url "$engine")"
        (cd "$home" && run_as setsid "${envs[@]}" bin/elasticsearch -d -p "$(engine_pidfile "$engine")") \
            </dev/null >>"$out" 2>&1 &
    fi
    LAUNCHER_PID=$!
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# start_engines ENGINE... : launches all engines that are not running, then waits for each.
start_engines() {
    local engine probe pid rc=0
    local -a todo=()
    declare -A launcher=() t0=()
    for engine in "$@"; do
        if [[ $engine == elasticsearch && -f "$(engine_home "$engine")/.sembridge-ready" ]] &&
            engine_pid "$engine" >/dev/null && es_standins_stale "$(engine_home "$engine")"; then
            # plugins are only loaded at start-up
            log "elasticsearch: stand-in plugins missing or changed; rebuilding and restarting"
            stop_engine "$engine" >&2 || true
        fi
        if pid=$(engine_pid "$engine"); then
            if healthy "$engine"; then
                echo "$engine: already running (pid $pid) at $(engine_url "$engine")"
                continue
            fi
            log "$engine: pid $pid alive but not healthy; waiting for it"
            todo+=("$engine")
            t0[$engine]=$(now)
            launcher[$engine]=""
            continue
        fi
        if probe=$(probe_root "$engine"); then
            if [[ ${probe%% *} == "$engine" ]]; then
                echo "$engine: already running at $(engine_url "$engine") (${probe#* }, not started by this script)"
                continue
            fi
            die "port $(engine_port "$engine") is taken by $probe; set SEMBRIDGE_$([[ $engine == opensearch ]] && echo OS || echo ES)_PORT"
        fi
        fetch_engine "$engine"
        # Leftovers of an earlier run whose pid file got lost would hold the data directory lock.
        local stray
        stray=$(engine_stray_pids "$engine")
        if [[ -n "$stray" ]]; then
            log "$engine: killing stray processes $stray"
            kill_pids "$stray"
        fi
        write_config "$engine"
        t0[$engine]=$(now)
        launch_engine "$engine"
        launcher[$engine]=$LAUNCHER_PID
        todo+=("$engine")
    done
    for engine in "${todo[@]}"; do
        if wait_healthy "$engine" "${t0[$engine]}" "${launcher[$engine]}"; then
            local pid ver
            pid=$(engine_pid "$engine" || echo "?")
            ver=$(probe_root "$engine" || echo "? ?")
            echo "$engine: started ${ver#* } in $(elapsed "${t0[$engine]}") s (pid $pid) at $(engine_url "$engine")"
        else
            rc=1
        fi
    done
    return "$rc"
}

wait_healthy() {
    local engine=$1 t0=$2 launcher=$3 deadline
    deadline=$(($(date +%s) + START_TIMEOUT))
    while (($(date +%s) < deadline)); do
        if healthy "$engine"; then
            # the elasticsearch launcher (-d) exits once the node is up; reap it
            [[ -z "$launcher" ]] || wait "$launcher" 2>/dev/null || true
            return 0
        fi
        # Dead? The launcher has exited and no java of this engine is alive (the pid file
        # appears only some seconds after the launcher of opensearch -d has returned).
        if [[ -n "$launcher" ]] && ! kill -0 "$launcher" 2>/dev/null && ! engine_alive "$engine"; then
            sleep 2
            if ! engine_alive "$engine" && ! healthy "$engine"; then
                echo "engines: error: $engine exited during start-up ($(elapsed "$t0") s)" >&2
                print_failure "$engine"
                stop_engine "$engine" >/dev/null 2>&1 || true
                return 1
            fi
        fi
        sleep 1
    done
    echo "engines: error: $engine not healthy after ${START_TIMEOUT} s" >&2
    print_failure "$engine"
    stop_engine "$engine" >/dev/null 2>&1 || true
    return 1
}

kill_pids() { # kill_pids "PID..." : TERM, wait up to 30 s, then KILL
    local pids=$1 p i alive
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do
        alive=""
        for p in $pids; do
            if kill -0 "$p" 2>/dev/null; then alive="$alive $p"; fi
        done
        [[ -n "$alive" ]] || return 0
        sleep 0.5
    done
    log "still alive after 30 s, sending SIGKILL to$alive"
    # shellcheck disable=SC2086
    kill -KILL $alive 2>/dev/null || true
    sleep 1
}

stop_engine() {
    local engine=$1 pid pids stray
    pids=""
    if pid=$(engine_pid "$engine"); then pids=$pid; fi
    stray=$(engine_stray_pids "$engine")
    # shellcheck disable=SC2086
    pids=$(printf '%s\n' $pids $stray | sort -u | tr '\n' ' ')
    pids=${pids% }
    if [[ -z "${pids// /}" ]]; then
        rm -f "$(engine_pidfile "$engine")"
        if probe=$(probe_root "$engine") && [[ ${probe%% *} == "$engine" ]]; then
            echo "$engine: not started by this script but something answers at $(engine_url "$engine") (${probe#* }); left alone"
        else
            echo "$engine: not running"
        fi
        return 0
    fi
    log "stopping $engine (pid $pids)"
    kill_pids "$pids"
    rm -f "$(engine_pidfile "$engine")"
    stray=$(engine_stray_pids "$engine")
    if [[ -n "$stray" ]]; then
        echo "engines: error: $engine processes still alive: $stray" >&2
        return 1
    fi
    echo "$engine: stopped"
}

status_engine() {
    local engine=$1 pid probe url plugins knn
    url=$(engine_url "$engine")
    pid=$(engine_pid "$engine" || true)
    if ! probe=$(probe_root "$engine") || [[ ${probe%% *} != "$engine" ]]; then
        if [[ -n "$pid" ]]; then
            echo "$engine: starting or unresponsive (pid $pid), $url not answering"
        else
            echo "$engine: not running ($url)"
        fi
        return 1
    fi
    local line="$engine: running, version ${probe#* }, $url"
    if [[ -n "$pid" ]]; then line+=", pid $pid"; else line+=", not managed by this script"; fi
    if [[ $engine == opensearch ]]; then
        plugins=$(http_get "$url/_cat/plugins?h=component" || true)
        if grep -qx 'opensearch-knn' <<<"$plugins"; then knn=yes; else knn=NO; fi
        line+=", opensearch-knn plugin: $knn"
    else
        plugins=$(http_get "$url/_cat/plugins?h=component" || true)
        if grep -qx 'sembridge-analysis' <<<"$plugins"; then knn=yes; else knn=NO; fi
        line+=", english analysis (sembridge-analysis): $knn"
    fi
    echo "$line"
}
