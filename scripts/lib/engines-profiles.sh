# shellcheck shell=bash
# The profiles of scripts/engines.sh (sourced by lib/engines-common.sh, not run): which instances
# each starts, and what their configuration adds to the default pair's (see scripts/ENGINES.md).
#
#   compat   OpenSearch 2.19.1 (+ k-NN 2.19.1.0) and Elasticsearch 8.19.21, plain HTTP
#   secure   OpenSearch 2.19.1 + opensearch-security 2.19.1.0 and Elasticsearch 9.2.8 with
#            xpack security: HTTPS with a CA of our own, users admin / writer / reader
#   cluster  three OpenSearch 3.5.0 nodes on loopback
#
# Every start of a profile instance begins from an empty data directory.

COMPAT_OS_VERSION="${SEMBRIDGE_COMPAT_OS_VERSION:-2.19.1}"
COMPAT_ES_VERSION="${SEMBRIDGE_COMPAT_ES_VERSION:-8.19.21}"
SECURE_OS_VERSION="${SEMBRIDGE_SECURE_OS_VERSION:-2.19.1}"
SECURE_ES_VERSION="${SEMBRIDGE_SECURE_ES_VERSION:-9.2.8}"
CLUSTER_OS_VERSION="${SEMBRIDGE_CLUSTER_OS_VERSION:-$OS_VERSION}"
PROFILE_HEAP="${SEMBRIDGE_PROFILE_HEAP:-768m}"
CLUSTER_HEAP="${SEMBRIDGE_CLUSTER_HEAP:-512m}"
PROFILES="default compat secure cluster"
# The index pattern the `writer` user may create and write, and the `reader` may search.
SECURE_INDEX_PATTERN="sb-*"

cluster_size() { echo 3; }

# profile_instances PROFILE : defines the profile's instances and prints their names
profile_instances() {
    local p=$1 i port
    case "$p" in
        default) echo "opensearch elasticsearch" ;;
        compat)
            port=$SEMBRIDGE_COMPAT_OS_PORT_DEFAULT
            define_instance compat-os opensearch "$COMPAT_OS_VERSION" "$port" $((port + 100)) "$PROFILE_HEAP"
            port=$SEMBRIDGE_COMPAT_ES_PORT_DEFAULT
            define_instance compat-es elasticsearch "$COMPAT_ES_VERSION" "$port" $((port + 100)) "$PROFILE_HEAP"
            echo "compat-os compat-es"
            ;;
        secure)
            port=$SEMBRIDGE_SECURE_OS_PORT_DEFAULT
            define_instance secure-os opensearch "$SECURE_OS_VERSION" "$port" $((port + 100)) "$PROFILE_HEAP" secure
            port=$SEMBRIDGE_SECURE_ES_PORT_DEFAULT
            define_instance secure-es elasticsearch "$SECURE_ES_VERSION" "$port" $((port + 100)) "$PROFILE_HEAP" secure
            echo "secure-os secure-es"
            ;;
        cluster)
            local names=""
            for ((i = 1; i <= $(cluster_size); i++)); do
                port=$((SEMBRIDGE_CLUSTER_PORT_DEFAULT + i - 1))
                define_instance "cluster-os-$i" opensearch "$CLUSTER_OS_VERSION" "$port" $((port + 100)) "$CLUSTER_HEAP" cluster
                names+="${names:+ }cluster-os-$i"
            done
            echo "$names"
            ;;
        *) die "unknown profile '$p' (expected one of: $PROFILES)" ;;
    esac
}

# Lines appended to a profile instance's opensearch.yml / elasticsearch.yml.
profile_config() {
    local inst=$1 kind i
    kind=$(engine_kind "$inst")
    case "$(engine_flavor "$inst")" in
        plain)
            # the 2.x profile home carries the security plugin for the secure profile
            if [[ $kind == opensearch && -d "$(engine_home "$inst")/plugins/opensearch-security" ]]; then
                echo "plugins.security.disabled: true"
            fi
            ;;
        cluster)
            local hosts="" names=""
            for ((i = 1; i <= $(cluster_size); i++)); do
                hosts+="${hosts:+, }\"127.0.0.1:$((SEMBRIDGE_CLUSTER_PORT_DEFAULT + 99 + i))\""
                names+="${names:+, }\"cluster-os-$i\""
            done
            echo "discovery.seed_hosts: [$hosts]"
            echo "cluster.initial_cluster_manager_nodes: [$names]"
            # a lost node's shards are re-allocated at once (the default waits a minute)
            echo "cluster.routing.allocation.node_concurrent_recoveries: 4"
            ;;
        secure)
            if [[ $kind == opensearch ]]; then
                cat <<YML
plugins.security.ssl.transport.pemcert_filepath: certs/node.pem
plugins.security.ssl.transport.pemkey_filepath: certs/node-key.pem
plugins.security.ssl.transport.pemtrustedcas_filepath: certs/ca.pem
plugins.security.ssl.transport.enforce_hostname_verification: false
plugins.security.ssl.http.enabled: true
plugins.security.ssl.http.pemcert_filepath: certs/node.pem
plugins.security.ssl.http.pemkey_filepath: certs/node-key.pem
plugins.security.ssl.http.pemtrustedcas_filepath: certs/ca.pem
plugins.security.allow_default_init_securityindex: true
plugins.security.nodes_dn: ["CN=sembridge-node,O=sembridge"]
plugins.security.authcz.admin_dn: ["CN=sembridge-admin,O=sembridge"]
plugins.security.restapi.roles_enabled: ["all_access"]
plugins.security.check_snapshot_restore_write_privileges: true
plugins.security.audit.type: noop
YML
            else
                cat <<YML
xpack.security.enabled: true
xpack.security.http.ssl.enabled: true
xpack.security.http.ssl.certificate: certs/node.pem
xpack.security.http.ssl.key: certs/node-key.pem
xpack.security.http.ssl.certificate_authorities: ["certs/ca.pem"]
xpack.security.authc.api_key.enabled: true
YML
            fi
            ;;
    esac
}

# Files a profile instance needs next to its config (certificates, users, roles).
profile_files() {
    local inst=$1 conf=$2
    [[ $(engine_flavor "$inst") == secure ]] || return 0
    secure_ca >/dev/null
    mkdir -p "$conf/certs"
    cp "$BASE/conf/secure-ca"/{ca.pem,node.pem,node-key.pem} "$conf/certs/"
    if [[ $(engine_kind "$inst") == opensearch ]]; then
        opensearch_security_files "$inst" "$conf"
    else
        elasticsearch_security_files "$inst" "$conf"
    fi
}

# ---------------------------------------------------------------------------------------------
# Certificates and passwords of the secure profile (made once, kept in $BASE/conf/secure-ca)

# secure_ca : prints the CA certificate's path, making the CA and the node certificate first
secure_ca() {
    local dir="$BASE/conf/secure-ca"
    if [[ ! -s "$dir/node.pem" ]]; then
        mkdir -p "$dir"
        log "making a CA and a node certificate (127.0.0.1, localhost) in $dir"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
            -subj "/O=sembridge/CN=sembridge-test-ca" \
            -keyout "$dir/ca-key.pem" -out "$dir/ca.pem" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -sha256 -subj "/O=sembridge/CN=sembridge-node" \
            -keyout "$dir/node-key.tmp" -out "$dir/node.csr" 2>/dev/null
        printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" \
            "basicConstraints=CA:FALSE" "keyUsage=digitalSignature,keyEncipherment" \
            "extendedKeyUsage=serverAuth,clientAuth" >"$dir/node.ext"
        openssl x509 -req -in "$dir/node.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" \
            -CAcreateserial -days 3650 -sha256 -extfile "$dir/node.ext" -out "$dir/node.pem" 2>/dev/null
        # both engines want the key as PKCS#8
        openssl pkcs8 -topk8 -nocrypt -in "$dir/node-key.tmp" -out "$dir/node-key.pem"
        rm -f "$dir/node-key.tmp" "$dir/node.csr" "$dir/node.ext"
        chmod 600 "$dir"/*-key.pem
        chmod 644 "$dir/ca.pem" "$dir/node.pem"
    fi
    echo "$dir/ca.pem"
}

# secure_password USER : the user's password, made once (random) and kept in
# $BASE/conf/secure-ca/passwords (mode 600); the same for both engines.
secure_password() {
    local file="$BASE/conf/secure-ca/passwords" u
    if [[ ! -s "$file" ]]; then
        mkdir -p "$(dirname "$file")"
        (
            umask 077
            for u in admin writer reader; do
                echo "$u=sb-$u-$(openssl rand -hex 12)"
            done >"$file"
        )
    fi
    sed -n "s/^$1=//p" "$file"
}

# secure_hash USER : bcrypt hash of the user's password, made once with the security plugin's
# tools/hash.sh (a JVM start each, so kept in $BASE/conf/secure-ca/hashes). Both engines take it.
secure_hash() {
    local file="$BASE/conf/secure-ca/hashes" u home hash
    if [[ ! -s "$file" ]]; then
        fetch_engine secure-os
        home=$(engine_home secure-os)
        for u in admin writer reader; do
            hash=$(JAVA_HOME=$(engine_java_home secure-os) OPENSEARCH_JAVA_HOME=$(engine_java_home secure-os) \
                bash "$home/plugins/opensearch-security/tools/hash.sh" -p "$(secure_password "$u")" 2>/dev/null | tail -n1)
            [[ $hash == '$2'* ]] || die "tools/hash.sh of opensearch-security gave no bcrypt hash"
            # $2y$ (what hash.sh writes) and $2a$ are the same for ASCII passwords; Elasticsearch
            # reads $2a$
            echo "$u=\$2a\$${hash#\$2y\$}"
        done >"$file.tmp"
        mv "$file.tmp" "$file"
    fi
    sed -n "s/^$1=//p" "$file"
}

opensearch_security_files() {
    local inst=$1 conf=$2 sec home u
    home=$(engine_home "$inst")
    sec="$conf/opensearch-security"
    mkdir -p "$sec"
    cp "$home/plugins/opensearch-security/config/"*.yml "$sec/"
    {
        echo '_meta: {type: "internalusers", config_version: 2}'
        for u in admin writer reader; do
            echo "$u: {hash: \"$(secure_hash "$u")\", reserved: false, backend_roles: [], description: \"sembridge $u\"}"
        done
    } >"$sec/internal_users.yml"
    cat >"$sec/roles.yml" <<YML
_meta: {type: "roles", config_version: 2}
sembridge_writer:
  cluster_permissions: ["cluster_monitor", "cluster:monitor/main", "indices:data/write/bulk", "indices:data/read/scroll*"]
  index_permissions:
    - index_patterns: ["$SECURE_INDEX_PATTERN"]
      allowed_actions: ["create_index", "indices:admin/mapping/put", "indices:admin/mappings/get", "indices:admin/get", "indices:admin/refresh*", "indices:monitor/*", "write", "read"]
sembridge_reader:
  cluster_permissions: ["cluster_monitor", "cluster:monitor/main", "indices:data/read/scroll*"]
  index_permissions:
    - index_patterns: ["$SECURE_INDEX_PATTERN"]
      allowed_actions: ["read", "indices:admin/mappings/get", "indices:admin/get", "indices:monitor/*"]
YML
    cat >"$sec/roles_mapping.yml" <<YML
_meta: {type: "rolesmapping", config_version: 2}
all_access: {reserved: false, users: ["admin"]}
sembridge_writer: {reserved: false, users: ["writer"]}
sembridge_reader: {reserved: false, users: ["reader"]}
YML
}

elasticsearch_security_files() {
    local conf=$2
    cat >"$conf/roles.yml" <<YML
sembridge_writer:
  cluster: ["monitor", "manage_own_api_key"]
  indices:
    - names: ["$SECURE_INDEX_PATTERN"]
      privileges: ["create_index", "write", "read", "view_index_metadata", "maintenance"]
sembridge_reader:
  cluster: ["monitor"]
  indices:
    - names: ["$SECURE_INDEX_PATTERN"]
      privileges: ["read", "view_index_metadata"]
YML
    # the file realm's users and users_roles files, as bin/elasticsearch-users writes them
    local u
    for u in admin writer reader; do echo "$u:$(secure_hash "$u")"; done >"$conf/users"
    printf '%s\n' "superuser:admin" "sembridge_writer:writer" "sembridge_reader:reader" >"$conf/users_roles"
    chmod 600 "$conf/users" "$conf/users_roles"
}

# profile_env PROFILE : `export` lines with the URLs (and, for secure, CA and users) the tests read
profile_env() {
    local p=$1
    case "$p" in
        default)
            echo "export SEMBRIDGE_OS_URL=$(engine_url opensearch)"
            echo "export SEMBRIDGE_ES_URL=$(engine_url elasticsearch)"
            ;;
        compat)
            echo "export SEMBRIDGE_COMPAT_OS_URL=$(engine_url compat-os)"
            echo "export SEMBRIDGE_COMPAT_ES_URL=$(engine_url compat-es)"
            ;;
        secure)
            echo "export SEMBRIDGE_SECURE_OS_URL=$(engine_url secure-os)"
            echo "export SEMBRIDGE_SECURE_ES_URL=$(engine_url secure-es)"
            echo "export SEMBRIDGE_SECURE_CA=$(secure_ca)"
            local u U
            for u in admin writer reader; do
                U=${u^^}
                echo "export SEMBRIDGE_SECURE_${U}_PASSWORD=$(secure_password "$u")"
            done
            ;;
        cluster)
            local i urls=""
            for ((i = 1; i <= $(cluster_size); i++)); do urls+="${urls:+,}$(engine_url "cluster-os-$i")"; done
            echo "export SEMBRIDGE_CLUSTER_URL=$(engine_url cluster-os-1)"
            echo "export SEMBRIDGE_CLUSTER_URLS=$urls"
            ;;
    esac
}
