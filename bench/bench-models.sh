#!/usr/bin/env bash
# Benchmark (not a test): the named models of scripts/models.sh, measured by sembridge in one run.
#   1. docs/s of `sembridge embed --threads THREADS` on the first DOCS SciFact documents, each model
#      after the other (never concurrently), best of REPEAT; the ratio to the first model of MODELS
#      (the default) is the figure to compare across machines;
#   2. with QUALITY=1: exact nDCG@10 / recall@100 on full SciFact (`sembridge embed` of the
#      5,183 documents and `sembridge exact --queries --qrels` over the 300 test queries) for
#      QUALITY_MODELS (default: the default model only: a 512-token model takes ~20 min on 2 cores).
# Prints a markdown table (docs/models.md holds the last one measured).
#
# Usage: bench/bench-models.sh
# Environment: MODELS ("all-MiniLM-L6-v2 all-MiniLM-L6-v2-int8-pypi bge-small-en-v1.5 e5-small-v2"),
#   THREADS (1), DOCS (300), REPEAT (2), QUALITY (0), QUALITY_MODELS (all-MiniLM-L6-v2),
#   SEMBRIDGE_BIN (the release binary), SCIFACT (dataset folder), MAX_BATCH_1 (models also run
#   with `--max-batch 1`, as a second row: a binary older than issue 24 batches the dynamic-int8
#   graphs, which this binary runs one text at a time by itself).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"

MODELS="${MODELS:-all-MiniLM-L6-v2 all-MiniLM-L6-v2-int8-pypi bge-small-en-v1.5 e5-small-v2}"
MAX_BATCH_1="${MAX_BATCH_1:-}"
THREADS="${THREADS:-1}"; DOCS="${DOCS:-300}"; REPEAT="${REPEAT:-2}"
QUALITY="${QUALITY:-0}"; QUALITY_MODELS="${QUALITY_MODELS:-all-MiniLM-L6-v2}"
SCIFACT="${SCIFACT:-$SHARED/datasets/scifact}"
B="${SEMBRIDGE_BIN}"
[[ -x "$B" ]] || die "no release binary at $B: cargo build --release (or scripts/setup.sh)"
[[ -f "$SCIFACT/corpus.jsonl" ]] || die "SciFact not found in $SCIFACT (set SCIFACT)"
TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
head -n "$DOCS" "$SCIFACT/corpus.jsonl" >"$TMP/head.jsonl"

# A model by name: the installed folder (works with binaries that predate `--model NAME` too).
dir_of() { [[ -d "$1" ]] && echo "$1" || echo "$SEMBRIDGE_HOME/models/$1"; }

log "load before the runs: $(uptime)"
declare -A RATE
# rate MODEL [FLAGS...]: best docs/s of REPEAT runs
rate() {
  local m=$1 best=0 start end r
  shift
  for _ in $(seq "$REPEAT"); do
    rm -f "$TMP/e.sbv"
    start=$(date +%s.%N)
    "$B" embed --model "$(dir_of "$m")" --threads "$THREADS" "$@" --input "$TMP/head.jsonl" --output "$TMP/e.sbv" 2>/dev/null
    end=$(date +%s.%N)
    r=$(awk -v n="$DOCS" -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", n / (e - s) }')
    best=$(awk -v a="$best" -v b="$r" 'BEGIN { print (b > a ? b : a) }')
  done
  echo "$best"
}
ROWS=""
for m in $MODELS; do
  RATE[$m]=$(rate "$m")
  log "$m: ${RATE[$m]} docs/s"
  ROWS="$ROWS $m"
  if [[ " $MAX_BATCH_1 " == *" $m "* ]]; then
    RATE["$m --max-batch 1"]=$(rate "$m" --max-batch 1)
    log "$m --max-batch 1: ${RATE["$m --max-batch 1"]} docs/s"
  fi
done
log "load after the runs: $(uptime)"

first=${MODELS%% *}
echo
echo "| model | max len | docs/s, $THREADS thread(s), first $DOCS SciFact docs | vs $first | exact nDCG@10 | recall@100 |"
echo "|---|---:|---:|---:|---:|---:|"
for m in $MODELS; do
  if [[ -n "${RATE["$m --max-batch 1"]:-}" ]]; then
    ratio=$(awk -v a="${RATE["$m --max-batch 1"]}" -v b="${RATE[$first]}" 'BEGIN { printf "%.2f", a / b }')
    echo "| $m, --max-batch 1 | | ${RATE["$m --max-batch 1"]} | ${ratio}x | | |"
  fi
  max=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["max_seq_length"])' "$(dir_of "$m")/sentence_bert_config.json")
  ndcg="" recall=""
  if [[ "$QUALITY" = 1 && " $QUALITY_MODELS " == *" $m "* ]]; then
    store="$SEMBRIDGE_HOME/testdata/scifact-$m.sbv"
    [[ -f "$store" ]] || "$B" embed --model "$(dir_of "$m")" --input "$SCIFACT/corpus.jsonl" --output "$store" 2>/dev/null
    "$B" exact --model "$(dir_of "$m")" --store "$store" --queries "$SCIFACT/queries.jsonl" \
      --qrels "$SCIFACT/qrels/test.tsv" --json >"$TMP/q.json" 2>/dev/null
    read -r ndcg recall < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%.4f %.4f" % (r["ndcg10"], r["recall100"]))' "$TMP/q.json")
  fi
  ratio=$(awk -v a="${RATE[$m]}" -v b="${RATE[$first]}" 'BEGIN { printf "%.2f", a / b }')
  echo "| $m | $max | ${RATE[$m]} | ${ratio}x | $ndcg | $recall |"
done
