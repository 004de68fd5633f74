#!/usr/bin/env bash
# Builds bench/device/ (git-ignored), everything bench/device-embed.sh needs on a machine with no
# Rust toolchain and no package registries: the stripped release binary `sembridge`, the two model
# folders (the new default all-MiniLM-L6-v2 and the old all-MiniLM-L6-v2-int8), the first LIMIT
# (1500) SciFact documents and the bench's Python scripts. Prints the folder's size (the device
# run carries at most 64 MiB).
#
# Usage: bench/device-pack.sh   Environment: LIMIT (1500), SCIFACT, NEW_MODEL, OLD_MODEL.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"

LIMIT="${LIMIT:-1500}"
SCIFACT="${SCIFACT:-$SHARED/datasets/scifact}"
NEW_MODEL="${NEW_MODEL:-$SEMBRIDGE_HOME/models/all-MiniLM-L6-v2}"
OLD_MODEL="${OLD_MODEL:-$SEMBRIDGE_HOME/models/all-MiniLM-L6-v2-int8-pypi}"
DEV="$REPO_ROOT/bench/device"

log "building sembridge (release)"
(cd "$REPO_ROOT" && cargo build --release --quiet --bin sembridge)
rm -rf "$DEV"
mkdir -p "$DEV/models"
strip -o "$DEV/sembridge" "$CARGO_TARGET_DIR/release/sembridge"
for pair in "all-MiniLM-L6-v2=$NEW_MODEL" "all-MiniLM-L6-v2-int8=$OLD_MODEL"; do
  name="${pair%%=*}" src="${pair#*=}"
  [[ -f $src/model.onnx && -f $src/tokenizer.json ]] || die "$src: no model.onnx/tokenizer.json (run scripts/setup.sh)"
  mkdir -p "$DEV/models/$name"
  # what ModelConfig::load reads: the graph, the tokenizer and the small JSON configs
  (cd "$src" && cp -r model.onnx tokenizer.json ./*.json 1_Pooling "$DEV/models/$name/")
done
head -n "$LIMIT" "$SCIFACT/corpus.jsonl" >"$DEV/corpus.jsonl"
cp "$REPO_ROOT/bench/bench_embed_pool.py" "$REPO_ROOT/bench/bench_embed_python.py" "$DEV/"
log "bench/device: $(du -sb "$DEV" | cut -f1) bytes ($(du -sh "$DEV" | cut -f1)); the limit is 64 MiB = 67108864 bytes"
