# shellcheck shell=bash
# The Elasticsearch stand-in plugins for scripts/engines.sh (sourced by lib/engines-common.sh, not
# run): small classic plugins built against the distribution's own jars, rebuilt when stale.

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
    local srcdir=$1 jh=$2 version=$3
    {
        echo "$version java=$(java_major "$jh")"
        cat "$srcdir"/*.java
    } | sha256sum | cut -d' ' -f1
}

es_standin_stamp() { echo "$1/.sembridge-standins/$2.sha256"; }

# es_standins_stale HOME VERSION : exit 0 if some stand-in plugin is missing or built from other
# sources
es_standins_stale() {
    local home=$1 version=$2 jh entry srcdir name stamp
    jh=$(java_home_for elasticsearch "$version")
    for entry in "${ES_STANDINS[@]}"; do
        IFS=: read -r srcdir name _ <<<"$entry"
        stamp=$(es_standin_stamp "$home" "$name")
        [[ -d "$home/plugins/$name" && -s "$stamp" ]] || return 0
        [[ "$(cat "$stamp")" == "$(es_standin_hash "$SCRIPT_DIR/lib/$srcdir" "$jh" "$version")" ]] || return 0
    done
    return 1
}

# install_es_standins HOME VERSION : (re)build the stand-ins that are missing or stale. A failed
# build only costs what the plugin provides, so it is a warning (and retried at the next start).
# The classes target the Java the engine runs on (17 for Elasticsearch 8.x, 21 for 9.x).
install_es_standins() {
    local home=$1 version=$2 jh entry srcdir name class desc hash stamp tmp dir release
    jh=$(java_home_for elasticsearch "$version")
    release=$(java_major "$jh")
    ((release <= 21)) || release=21
    if [[ ! -x "$jh/bin/javac" ]]; then
        log "warning: $jh has no javac; elasticsearch gets no stand-in plugins (GET /, english analysis)"
        return 0
    fi
    mkdir -p "$home/.sembridge-standins"
    for entry in "${ES_STANDINS[@]}"; do
        IFS=: read -r srcdir name class desc <<<"$entry"
        hash=$(es_standin_hash "$SCRIPT_DIR/lib/$srcdir" "$jh" "$version")
        stamp=$(es_standin_stamp "$home" "$name")
        dir="$home/plugins/$name"
        if [[ -d "$dir" && -s "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then
            continue
        fi
        tmp=$(mktemp -d)
        mkdir -p "$tmp/src"
        cp "$SCRIPT_DIR/lib/$srcdir"/*.java "$tmp/src/"
        if ((${version%%.*} < 9)); then es8_adapt "$tmp/src"/*.java; fi
        if "$jh/bin/javac" --release "$release" -proc:none -nowarn -cp "$home/lib/*" -d "$tmp/classes" \
            "$tmp/src"/*.java >"$tmp/javac.out" 2>&1 &&
            "$jh/bin/jar" cf "$tmp/$name.jar" -C "$tmp/classes" .; then
            rm -rf "$dir"
            mkdir -p "$dir"
            cp "$tmp/$name.jar" "$dir/"
            cat >"$dir/plugin-descriptor.properties" <<EOF
description=$desc, built by scripts/engines.sh
version=$version
name=$name
classname=$class
java.version=$release
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

# es8_adapt FILE... : the analysis factories of Elasticsearch 8.x take their settings in the
# constructor (9.x dropped them); rewrite the three constructor calls of the 9.x sources.
es8_adapt() {
    sed -i -e 's/new AbstractTokenizerFactory(name)/new AbstractTokenizerFactory(is, s, name)/' \
        -e 's/^\( *\)super(name);/\1super(name, settings);/' \
        -e 's/new AbstractTokenFilterFactory(name)/new AbstractTokenFilterFactory(name, Settings.EMPTY)/' "$@"
}
