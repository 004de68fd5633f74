#!/usr/bin/env bash
# What only the tests need, on top of scripts/setup.sh (which sets up the main job: venv with ONNX
# Runtime, model, engines, binary). scripts/test.sh runs both; idempotent, re-running does only what
# is missing:
#   1. botocore, pinned: the SigV4 tests (tests/sigv4.rs) sign the same requests with it;
#   2. the framework packages, pinned: the real-framework tests (tests/interop.rs, tests/frameworks/)
#      read and write indexes with LangChain and Haystack;
#   3. headless Chromium (Debian package `chromium`) for the browser test of `sembridge serve`'s page.
set -euo pipefail
source "$(dirname "$0")/common.sh"

[ -x "$VENV/bin/python" ] || die "no venv at $VENV: run scripts/setup.sh first"

# 1. botocore ------------------------------------------------------------------------------------------
# An independent implementation of AWS Signature V4, compared request by request with sembridge's.
BOTOCORE_VERSION="1.44.8"
if ! "$VENV/bin/python" -c "import botocore; assert botocore.__version__ == '$BOTOCORE_VERSION'" 2>/dev/null; then
  log "installing botocore==$BOTOCORE_VERSION into the venv (the SigV4 tests compare with it)"
  "$VENV/bin/pip" install -q --disable-pip-version-check "botocore==$BOTOCORE_VERSION"
fi

# 2. Framework packages (tests/frameworks/), pinned; onnxruntime stays put ------------------------------
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
log "test packages: botocore $BOTOCORE_VERSION, ${fw_pins[*]}"

# 3. Chromium (the browser test of the search page) ------------------------------------------------------
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
