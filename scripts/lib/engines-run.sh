# shellcheck shell=bash
# Running the engines for scripts/engines.sh (sourced by lib/engines-common.sh, not run): config
# files, launching, health checks, start / stop / status.

# ---------------------------------------------------------------------------------------------
# Configuration (rewritten at every start, so port / heap overrides take effect)

write_config() {
    local inst=$1 kind home conf data logs cfg
    kind=$(engine_kind "$inst")
    home=$(engine_home "$inst")
    conf=$(engine_conf "$inst")
    data=$(engine_data "$inst")
    logs=$(engine_logdir "$inst")
    if ! is_default_instance "$inst"; then
        # A profile instance: a fresh config directory copied from the distribution's, and fresh
        # data (each start is a new cluster: no state of an earlier test run, security index
        # initialised from the files written here).
        rm -rf "$conf" "$data"
        mkdir -p "$conf"
        cp -r "$home/config/." "$conf/"
        rm -f "$conf/opensearch.yml" "$conf/elasticsearch.yml"
    fi
    mkdir -p "$data" "$logs"
    own "$data" "$logs"
    if [[ $kind == opensearch ]]; then
        cfg="$conf/opensearch.yml"
    else
        cfg="$conf/elasticsearch.yml"
    fi
    {
        echo "# Written by scripts/engines.sh; rewritten at every start."
        echo "cluster.name: $(engine_cluster_name "$inst")"
        if is_default_instance "$inst"; then
            echo "node.name: sembridge-$inst-1"
        else
            echo "node.name: $inst"
        fi
        echo "path.data: $data"
        echo "path.logs: $logs"
        echo "network.host: 127.0.0.1"
        echo "http.port: $(engine_port "$inst")"
        echo "transport.port: $(engine_tport "$inst")"
        if [[ $(engine_flavor "$inst") != cluster ]]; then
            echo "discovery.type: single-node"
        fi
        echo "cluster.routing.allocation.disk.threshold_enabled: false"
        echo "action.destructive_requires_name: false"
        if [[ $kind == elasticsearch && $(engine_flavor "$inst") != secure ]]; then
            # The integ-test-zip ships x-pack-core and x-pack-security only (no ML, no geoip),
            # so no xpack.ml.* / ingest.geoip.* settings: they would be unknown settings.
            echo "xpack.security.enabled: false"
        fi
        if ! is_default_instance "$inst"; then profile_config "$inst"; fi
    } >"$cfg"
    if ! is_default_instance "$inst"; then profile_files "$inst" "$conf"; fi
    own "$cfg"
    is_default_instance "$inst" || own "$conf"
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

# pids of java processes of this instance: for the default pair, running out of any unpacked
# version of the engine under $BASE/engines; for a profile instance, using its config directory.
engine_stray_pids() {
    if is_default_instance "$1"; then
        local p
        for p in $(pgrep -f -- "$BASE/engines/$1-[0-9][^ ]*/lib" || true); do
            grep -qaF "$BASE/conf/" "/proc/$p/cmdline" 2>/dev/null || echo "$p"
        done
    else
        pgrep -f -- "path\.conf=$BASE/conf/$1( |\$)" || true
    fi
}

# http_get INSTANCE PATH [MAX_TIME]: GET on the instance, with its CA and admin login when secure.
http_get() {
    local -a auth=()
    if [[ $(engine_flavor "$1") == secure ]]; then
        auth=(--cacert "$(secure_ca)" -u "admin:$(secure_password admin)")
    fi
    curl -sS --max-time "${3:-5}" "${auth[@]}" "$(engine_url "$1")$2" 2>/dev/null
}

# prints "<distribution> <version>" for whatever answers on the engine's port
probe_root() {
    local body dist ver
    body=$(http_get "$1" /) || return 1
    ver=$(printf '%s' "$body" | sed -n 's/.*"number" *: *"\([^"]*\)".*/\1/p' | head -n1)
    if [[ -z "$ver" ]]; then
        # no GET / (Elasticsearch integ-test-zip without the rest-root stand-in)
        body=$(http_get "$1" "/_nodes/_local?filter_path=nodes.*.version") || return 1
        ver=$(printf '%s' "$body" | sed -n 's/.*"version" *: *"\([^"]*\)".*/\1/p' | head -n1)
        [[ -n "$ver" ]] || return 1
        echo "elasticsearch $ver"
        return 0
    fi
    if printf '%s' "$body" | grep -q '"distribution" *: *"opensearch"'; then dist=opensearch; else dist=elasticsearch; fi
    echo "$dist $ver"
}

healthy() {
    local q="wait_for_status=yellow&timeout=5s"
    # a cluster node is ready when all its nodes have joined
    [[ $(engine_flavor "$1") != cluster ]] || q="wait_for_status=green&wait_for_nodes=$(cluster_size)&timeout=5s"
    http_get "$1" "/_cluster/health?$q" 10 | grep -q '"timed_out" *: *false'
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
    local inst=$1 kind home jh heap out
    kind=$(engine_kind "$inst")
    home=$(engine_home "$inst")
    jh=$(engine_java_home "$inst")
    heap=$(engine_heap "$inst")
    out=$(engine_startup_log "$inst")
    rm -f "$(engine_pidfile "$inst")"
    : >"$out"
    own "$out"
    local -a envs=(env -u JAVA_TOOL_OPTIONS -u JAVA_HOME "HOME=$BASE")
    local what="$kind $(engine_version "$inst")"
    is_default_instance "$inst" || what="$inst: $what"
    if [[ $kind == opensearch ]]; then
        envs+=("OPENSEARCH_JAVA_HOME=$jh" "OPENSEARCH_PATH_CONF=$(engine_conf "$inst")"
            "OPENSEARCH_JAVA_OPTS=-Xms$heap -Xmx$heap ${SEMBRIDGE_OS_JAVA_OPTS:-}")
        log "starting $what (java $(java_major "$jh"), heap $heap) on $(engine_url "$inst")"
        (cd "$home" && run_as setsid "${envs[@]}" bin/opensearch -d -p "$(engine_pidfile "$inst")") \
            </dev/null >>"$out" 2>&1 &
    else
        envs+=("ES_JAVA_HOME=$jh" "ES_PATH_CONF=$(engine_conf "$inst")"
            "ES_JAVA_OPTS=-Xms$heap -Xmx$heap ${SEMBRIDGE_ES_JAVA_OPTS:-}")
        log "starting $what (java $(java_major "$jh"), heap $heap) on $(engine_url "$inst")"
        (cd "$home" && run_as setsid "${envs[@]}" bin/elasticsearch -d -p "$(engine_pidfile "$inst")") \
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
        if [[ $(engine_kind "$engine") == elasticsearch && -f "$(engine_home "$engine")/.sembridge-ready" ]] &&
            engine_pid "$engine" >/dev/null && es_standins_stale "$(engine_home "$engine")" "$(engine_version "$engine")"; then
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
            if [[ ${probe%% *} == "$(engine_kind "$engine")" ]]; then
                echo "$engine: already running at $(engine_url "$engine") (${probe#* }, not started by this script)"
                continue
            fi
            is_default_instance "$engine" || die "port $(engine_port "$engine") of $engine is taken by $probe (scripts/ports.env)"
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
        if probe=$(probe_root "$engine") && [[ ${probe%% *} == "$(engine_kind "$engine")" ]]; then
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
    if ! probe=$(probe_root "$engine") || [[ ${probe%% *} != "$(engine_kind "$engine")" ]]; then
        if [[ -n "$pid" ]]; then
            echo "$engine: starting or unresponsive (pid $pid), $url not answering"
        else
            echo "$engine: not running ($url)"
        fi
        return 1
    fi
    local line="$engine: running, version ${probe#* }, $url"
    if [[ -n "$pid" ]]; then line+=", pid $pid"; else line+=", not managed by this script"; fi
    if [[ $(engine_kind "$engine") == opensearch ]]; then
        plugins=$(http_get "$engine" "/_cat/plugins?h=component" || true)
        if grep -qx 'opensearch-knn' <<<"$plugins"; then knn=yes; else knn=NO; fi
        line+=", opensearch-knn plugin: $knn"
    else
        plugins=$(http_get "$engine" "/_cat/plugins?h=component" || true)
        if grep -qx 'sembridge-analysis' <<<"$plugins"; then knn=yes; else knn=NO; fi
        line+=", english analysis (sembridge-analysis): $knn"
    fi
    echo "$line"
}
