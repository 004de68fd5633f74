#!/usr/bin/env bash
# Benchmark (not a test): what chunking gains on SciFact (test split, 300 queries) with the default
# int8 model. For each setting (off = truncation at max_seq_length, then --chunk-tokens N
# --chunk-overlap M) the corpus is embedded once into a store cached under
# $SEMBRIDGE_HOME/testdata (scifact-int8.sbv, scifact-int8-cN-oM.sbv; the embedding wall time is
# kept next to it in .secs, measured when the store was built), then `sembridge exact --queries
# --qrels` gives document-level nDCG@10 / recall@100 (MaxP: a document scores as its best passage).
# With ENGINE_URL set, each setting is also ingested from its store (--vectors-from, the model
# does not run) into a fresh index: ingest wall time and the index's store size.
#
# Usage: scripts/bench-chunking.sh
# Environment: SWEEP ("off 256/64 256/0 128/32 128/0"), SCIFACT (dataset folder), MODEL,
#   ENGINE_URL (unset: no engine part), REBUILD=1 (re-embed even when a store is cached).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SWEEP="${SWEEP:-off 256/64 256/0 128/32 128/0}"
SCIFACT="${SCIFACT:-$SHARED/datasets/scifact}"
MODEL="${MODEL:-$SEMBRIDGE_HOME/models/all-MiniLM-L6-v2-int8}"
DATA="$SEMBRIDGE_HOME/testdata"
mkdir -p "$DATA"
[[ -f "$SCIFACT/corpus.jsonl" ]] || die "SciFact not found in $SCIFACT (set SCIFACT)"

log "building sembridge (release)"
(cd "$REPO_ROOT" && cargo build --release --quiet --bin sembridge)
B="$SEMBRIDGE_BIN"

printf '| setting | vectors | embed wall s | nDCG@10 | recall@100 | MRR@10 |%s\n' \
  "${ENGINE_URL:+ ingest wall s | index MiB |}"
printf '|---|---:|---:|---:|---:|---:|%s\n' "${ENGINE_URL:+---:|---:|}"
for s in $SWEEP; do
  if [[ $s == off ]]; then
    store="$DATA/scifact-int8.sbv"; flags=()
  else
    n="${s%/*}"; m="${s#*/}"
    store="$DATA/scifact-int8-c$n-o$m.sbv"; flags=(--chunk-tokens "$n" --chunk-overlap "$m")
  fi
  if [[ ! -f $store || ${REBUILD:-0} == 1 ]]; then
    log "embedding SciFact ($s) into $store; load: $(uptime | sed 's/.*load/load/')"
    t0=$(date +%s.%N)
    "$B" embed --model "$MODEL" --input "$SCIFACT/corpus.jsonl" --output "$store" "${flags[@]}"
    echo "$(date +%s.%N) - $t0" | bc > "$store.secs"
  fi
  secs="$(cat "$store.secs" 2>/dev/null || echo '?')"
  q=$("$B" exact --model "$MODEL" --store "$store" --queries "$SCIFACT/queries.jsonl" \
    --qrels "$SCIFACT/qrels/test.tsv" --json)
  row=$(jq -r --arg s "$s" --arg secs "$secs" \
    '"| \($s) | \(.vectors) | \($secs | tonumber? // $secs | if type == "number" then (. * 10 | round / 10) else . end) | \(.ndcg10 * 10000 | round / 10000) | \(.recall100 * 10000 | round / 10000) | \(.mrr10 * 10000 | round / 10000) |"' <<<"$q")
  if [[ -n ${ENGINE_URL:-} ]]; then
    index="bench-chunking-${s/\//-}"
    t0=$(date +%s.%N)
    "$B" ingest --url "$ENGINE_URL" --index "$index" --recreate --corpus "$SCIFACT/corpus.jsonl" \
      --vectors-from "$store" "${flags[@]}" --json >/dev/null
    wall=$(echo "$(date +%s.%N) - $t0" | bc)
    curl -s -XPOST "$ENGINE_URL/$index/_refresh" >/dev/null
    curl -s -XPOST "$ENGINE_URL/$index/_forcemerge?max_num_segments=1" >/dev/null
    bytes=$(curl -s "$ENGINE_URL/$index/_stats/store" | jq '._all.primaries.store.size_in_bytes')
    row="$row $(printf '%.1f' "$wall") | $(echo "scale=1; $bytes / 1048576" | bc) |"
    curl -s -XDELETE "$ENGINE_URL/$index" >/dev/null
  fi
  echo "$row"
done
