#!/usr/bin/env bash
# Benchmark (not a test, #14): nested passages (A) vs one document per passage + collapse (B) in both engines;
# writes docs/chunk-layouts.md. Needs the engines up (scripts/engines.sh), the venv (scripts/setup.sh), a built
# release binary (only to embed the queries) and the passage store from scripts/bench-chunking.sh.
# Usage: scripts/bench-chunk-layouts.sh [extra options of bench-chunk-layouts.py, e.g. --repeat 3]
# Environment: STORE (default scifact-all-MiniLM-L6-v2-c256-o64.sbv in $SEMBRIDGE_HOME/testdata), SCIFACT, MODEL, DOC.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SCIFACT="${SCIFACT:-$SHARED/datasets/scifact}"
MODEL="${MODEL:-$SEMBRIDGE_HOME/models/all-MiniLM-L6-v2}"
DATA="$SEMBRIDGE_HOME/testdata"
STORE="${STORE:-$DATA/scifact-all-MiniLM-L6-v2-c256-o64.sbv}"
DOC="${DOC:-$REPO_ROOT/docs/chunk-layouts.md}"
PY="$VENV/bin/python"; [[ -x "$PY" ]] || die "no venv at $VENV (run scripts/setup.sh)"
[[ -f $STORE ]] || die "no passage store $STORE (scripts/bench-chunking.sh builds it)"
[[ -x $SEMBRIDGE_BIN ]] || die "no $SEMBRIDGE_BIN (cargo build --release)"

QSTORE="$DATA/scifact-queries-$(basename "$MODEL").sbv"
if [[ ! -f $QSTORE ]]; then
  log "embedding the SciFact queries into $QSTORE"
  "$SEMBRIDGE_BIN" embed --queries --model "$MODEL" --threads 1 --input "$SCIFACT/queries.jsonl" --output "$QSTORE"
fi
exec "$PY" "$REPO_ROOT/scripts/bench-chunk-layouts.py" --store "$STORE" --query-store "$QSTORE" \
  --qrels "$SCIFACT/qrels/test.tsv" --corpus "$SCIFACT/corpus.jsonl" \
  --os-url "$(engine_http_url opensearch)" --es-url "$(engine_http_url elasticsearch)" \
  --doc "$DOC" --command "scripts/bench-chunk-layouts.sh $*" "$@"
