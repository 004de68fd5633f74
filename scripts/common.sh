# Shared settings for the scripts; sourced, not run.
# Everything downloaded or built lives outside the clone so a fresh clone (CI) reuses it.
SEMBRIDGE_HOME="${SEMBRIDGE_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/sembridge}"
export SEMBRIDGE_HOME
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$SEMBRIDGE_HOME/target}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$SEMBRIDGE_HOME/venv"
ORT_VERSION="1.31.1"
SEMBRIDGE_BIN="$CARGO_TARGET_DIR/release/sembridge"
SHARED="${SEMBRIDGE_SHARED:-$REPO_ROOT/../shared}"
export SEMBRIDGE_HOME CARGO_TARGET_DIR REPO_ROOT VENV ORT_VERSION SEMBRIDGE_BIN SHARED

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

# engine_http_url opensearch|elasticsearch: where scripts/engines.sh runs that engine locally.
engine_http_url() {
  case "$1" in
    opensearch) echo "http://127.0.0.1:${SEMBRIDGE_OS_PORT:-9200}" ;;
    elasticsearch) echo "http://127.0.0.1:${SEMBRIDGE_ES_PORT:-9201}" ;;
    *) die "--engine must be opensearch or elasticsearch, not '$1'" ;;
  esac
}
