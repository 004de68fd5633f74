#!/usr/bin/env bash
# The embedding pool on a big machine (issue 22), one self-contained run: needs only bench/device/
# (built here by bench/device-pack.sh: stripped `sembridge`, two model folders, SciFact documents,
# the bench's Python scripts) and a Python with onnxruntime, tokenizers and numpy; no Rust, no
# registries. For both models: `sembridge embed` docs/s with 1x16, 2x8, 4x4, 8x2 (workers x threads)
# and the default flags, and the Python multi-process peer with 8 processes of 2 threads; rounds
# interleaved, best of ROUNDS; prints a markdown table (bench/bench_embed_pool.py).
#
# Usage (from the repository root): bench/device-embed.sh
#   QUICK=1 bench/device-embed.sh    200 documents, 1x2 2x1 default, peer 2x1, one round (2 cores)
# Environment: PYTHON (python3), ORT_DYLIB_PATH (default: the onnxruntime package's own
#   capi/libonnxruntime.so.1.30.0, else its one libonnxruntime.so.*), CONFIGS, PEERS, LIMIT (1500),
#   ROUNDS (2).
set -euo pipefail
DEV="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/device"
PYTHON="${PYTHON:-python3}"
[[ -x $DEV/sembridge && -f $DEV/corpus.jsonl ]] || { echo "error: $DEV is not packed: run bench/device-pack.sh" >&2; exit 2; }
if [[ -z ${ORT_DYLIB_PATH:-} ]]; then
  capi="$("$PYTHON" -c 'import onnxruntime,os;print(os.path.dirname(onnxruntime.__file__))')/capi"
  ORT_DYLIB_PATH="$capi/libonnxruntime.so.1.30.0"
  [[ -f $ORT_DYLIB_PATH ]] || ORT_DYLIB_PATH="$(ls "$capi"/libonnxruntime.so.* | head -n1)"
fi
export ORT_DYLIB_PATH
if [[ -n ${QUICK:-} ]]; then
  CONFIGS="${CONFIGS:-1x2 2x1 default}" PEERS="${PEERS:-2x1}" LIMIT="${LIMIT:-200}" ROUNDS="${ROUNDS:-1}"
fi
CONFIGS="${CONFIGS:-1x16 2x8 4x4 8x2 default}"
PEERS="${PEERS:-8x2}"
echo "# $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); onnxruntime $("$PYTHON" -c 'import onnxruntime;print(onnxruntime.__version__)') from $ORT_DYLIB_PATH" >&2
exec "$PYTHON" "$DEV/bench_embed_pool.py" --bin "$DEV/sembridge" --corpus "$DEV/corpus.jsonl" \
  --limit "${LIMIT:-1500}" --rounds "${ROUNDS:-2}" --python "$PYTHON" \
  --model "all-MiniLM-L6-v2=$DEV/models/all-MiniLM-L6-v2" \
  --model "all-MiniLM-L6-v2-int8=$DEV/models/all-MiniLM-L6-v2-int8" \
  --configs "$CONFIGS" --peers "$PEERS"
