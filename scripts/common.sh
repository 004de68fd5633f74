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

# The default engine ports, shared with the Rust crate (src/defaults.rs).
# shellcheck source=scripts/ports.env
source "$REPO_ROOT/scripts/ports.env"
export SEMBRIDGE_OS_PORT_DEFAULT SEMBRIDGE_ES_PORT_DEFAULT

# The one log / die of the scripts. LOG_TAG (optional) prefixes both, e.g. `[engines 12:00:00]`.
# die exits 2: the "error" exit code of the README.
log() { printf '[%s%s] %s\n' "${LOG_TAG:+$LOG_TAG }" "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  printf '%serror: %s\n' "${LOG_TAG:+$LOG_TAG: }" "$*" >&2
  exit 2
}

# engine_http_url opensearch|elasticsearch: where scripts/engines.sh runs that engine locally.
engine_http_url() {
  case "$1" in
    opensearch) echo "http://127.0.0.1:${SEMBRIDGE_OS_PORT:-$SEMBRIDGE_OS_PORT_DEFAULT}" ;;
    elasticsearch) echo "http://127.0.0.1:${SEMBRIDGE_ES_PORT:-$SEMBRIDGE_ES_PORT_DEFAULT}" ;;
    *) die "--engine must be opensearch or elasticsearch, not '$1'" ;;
  esac
}
