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

# fetch_engine INSTANCE : the unpacked distribution the instance runs out of. An OpenSearch
# profile instance of the default pair's version gets a symlink to the default unpack (one copy on
# disk); Elasticsearch always gets its own, so that the stand-in plugins built into a profile's
# home never change (and restart) the default pair's.
fetch_engine() {
    local inst=$1 kind version home
    kind=$(engine_kind "$inst")
    version=$(engine_version "$inst")
    home=$(engine_home "$inst")
    if ! is_default_instance "$inst" && [[ $kind == opensearch && $version == "$(engine_version "$kind")" ]]; then
        fetch_engine "$kind"
        if [[ ! -L "$home" ]]; then
            rm -rf "$home"
            ln -s "$(engine_home "$kind")" "$home"
        fi
        return 0
    fi
    unpack_engine "$kind" "$version" "$home"
}

# unpack_engine KIND VERSION HOME
unpack_engine() {
    local engine=$1 version=$2 home=$3 zip tmp
    if [[ -f "$home/.sembridge-ready" ]]; then
        if [[ $engine == elasticsearch ]] && es_standins_stale "$home" "$version"; then
            install_es_standins "$home" "$version"
            if engine_alive elasticsearch; then
                log "an elasticsearch is running; restart the instances of $version to load the rebuilt stand-in plugins"
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
        install_knn_plugin "$home" "$version.0"
        # Profile homes (2.x) carry the security plugin too; the compat profile switches it off.
        if [[ $home == "$BASE/profiles/"* ]]; then install_security_plugin "$home" "$version.0"; fi
    else
        install_es_standins "$home" "$version"
    fi
    own "$home"
    touch "$home/.sembridge-ready"
}

# Install the k-NN plugin by unpacking its zip into plugins/ (what `opensearch-plugin install`
# does for a plugin without bin/ or config/ files). Extended plugins the distribution lacks
# (lang-painless is missing from some integ-test-zips) are dropped from the descriptor; k-NN
# only needs lang-painless for its painless scoring functions.
install_knn_plugin() {
    local home=$1 knn_version=$2 zip dir desc ext kept="" p
    # SEMBRIDGE_KNN_VERSION overrides the default pair's plugin version only.
    [[ $home != "$(engine_home opensearch)" ]] || knn_version=$KNN_VERSION
    zip=$(maven_fetch org.opensearch.plugin opensearch-knn "$knn_version" zip)
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


# The security plugin (opensearch-security): jars into plugins/, its default config/ files stay in
# the plugin directory (lib/engines-profiles.sh copies them into a secure instance's config).
install_security_plugin() {
    local home=$1 version=$2 zip dir
    zip=$(maven_fetch org.opensearch.plugin opensearch-security "$version" zip)
    dir="$home/plugins/opensearch-security"
    rm -rf "$dir"
    mkdir -p "$dir"
    unzip -q "$zip" -d "$dir"
    [[ -f "$dir/plugin-descriptor.properties" ]] || die "no plugin descriptor in $zip"
    chmod +x "$dir"/tools/*.sh
}
