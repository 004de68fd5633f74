# shellcheck shell=bash
# Downloads for scripts/engines.sh (sourced by lib/engines-common.sh, not run): Maven artifacts,
# unpacking an engine distribution, installing the OpenSearch k-NN plugin.

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

