#!/usr/bin/env bash
# Benchmark (not a test): what chunking gains and costs on SciFact (test split, 300 queries) with
# the default int8 model. For each setting (off = truncation at max_seq_length, then
# --chunk-tokens N --chunk-overlap M):
# - quality: the whole corpus embedded once into a store cached under $SEMBRIDGE_HOME/testdata
#   (scifact-all-MiniLM-L6-v2.sbv, scifact-all-MiniLM-L6-v2-cN-oM.sbv), then `sembridge exact --queries --qrels`:
#   document-level nDCG@10 / recall@100 (MaxP: a document scores as its best passage);
# - embedding cost: the first EMBED_DOCS documents embedded again in this run, one setting after
#   the other (wall seconds, and the ratio to `off` measured in the same command);
# - with ENGINE_URLS (space-separated): each store ingested (--vectors-from, the model does not run)
#   into a fresh index of each engine: ingest wall seconds and the index's size after a force merge.
#
# Usage: bench/bench-chunking.sh
# Environment: SWEEP ("off 256/64 128/32"), EMBED_DOCS (500; 0 = skip), SCIFACT (dataset folder),
#   MODEL, ENGINE_URLS (unset: no engine part), REBUILD=1 (re-embed even when a store is cached).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"

SWEEP="${SWEEP:-off 256/64 128/32}"
EMBED_DOCS="${EMBED_DOCS:-500}"
SCIFACT="${SCIFACT:-$SHARED/datasets/scifact}"
MODEL="${MODEL:-$SEMBRIDGE_HOME/models/all-MiniLM-L6-v2}"
DATA="$SEMBRIDGE_HOME/testdata"
mkdir -p "$DATA"
[[ -f "$SCIFACT/corpus.jsonl" ]] || die "SciFact not found in $SCIFACT (set SCIFACT)"

log "building sembridge (release)"
(cd "$REPO_ROOT" && cargo build --release --quiet --bin sembridge)
B="$SEMBRIDGE_BIN"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
head -n "$EMBED_DOCS" "$SCIFACT/corpus.jsonl" > "$TMP/head.jsonl"

flags_of() { # setting -> the chunk flags
  [[ $1 == off ]] || echo "--chunk-tokens ${1%/*} --chunk-overlap ${1#*/}"
}
store_of() {
  if [[ $1 == off ]]; then echo "$DATA/scifact-all-MiniLM-L6-v2.sbv"; else echo "$DATA/scifact-all-MiniLM-L6-v2-c${1%/*}-o${1#*/}.sbv"; fi
}
secs_since() { echo "$(date +%s.%N) - $1" | bc; }

header='| setting | vectors | nDCG@10 | recall@100 | MRR@10 |'
rule='|---|---:|---:|---:|---:|'
if (( EMBED_DOCS > 0 )); then
  header+=" embed s ($EMBED_DOCS docs) | x off |"; rule+='---:|---:|'
fi
for url in ${ENGINE_URLS:-}; do
  name="$(curl -s "$url" | jq -r '"\(if .version.distribution == "opensearch" then "OpenSearch" else "Elasticsearch" end) \(.version.number)"')"
  header+=" ingest s $name | MiB $name |"; rule+='---:|---:|'
done
printf '%s\n%s\n' "$header" "$rule"
off_embed=""
for s in $SWEEP; do
  store="$(store_of "$s")"
  read -r -a flags <<<"$(flags_of "$s")"
  if [[ ! -f $store || ${REBUILD:-0} == 1 ]]; then
    log "embedding SciFact ($s) into $store; load: $(uptime | sed 's/.*load/load/')"
    "$B" embed --model "$MODEL" --input "$SCIFACT/corpus.jsonl" --output "$store" "${flags[@]}"
  fi
  q=$("$B" exact --model "$MODEL" --store "$store" --queries "$SCIFACT/queries.jsonl" \
    --qrels "$SCIFACT/qrels/test.tsv" --json)
  row=$(jq -r --arg s "$s" \
    '"| \($s) | \(.vectors) | \(.ndcg10 * 10000 | round / 10000) | \(.recall100 * 10000 | round / 10000) | \(.mrr10 * 10000 | round / 10000) |"' <<<"$q")
  if (( EMBED_DOCS > 0 )); then
    t0=$(date +%s.%N)
    "$B" embed --model "$MODEL" --input "$TMP/head.jsonl" --output "$TMP/e.sbv" "${flags[@]}" 2>/dev/null
    wall=$(secs_since "$t0")
    off_embed="${off_embed:-$wall}"
    row+=" $(printf '%.1f' "$wall") | $(printf '%.2f' "$(echo "$wall / $off_embed" | bc -l)") |"
  fi
  for url in ${ENGINE_URLS:-}; do
    index="bench-chunking-${s/\//-}"
    t0=$(date +%s.%N)
    "$B" ingest --url "$url" --index "$index" --recreate --corpus "$SCIFACT/corpus.jsonl" \
      --vectors-from "$store" --json --quiet >/dev/null
    wall=$(secs_since "$t0")
    curl -s -XPOST "$url/$index/_forcemerge?max_num_segments=1" >/dev/null
    bytes=$(curl -s "$url/$index/_stats/store" | jq '._all.primaries.store.size_in_bytes')
    row+=" $(printf '%.1f' "$wall") | $(echo "scale=1; $bytes / 1048576" | bc) |"
    curl -s -XDELETE "$url/$index" >/dev/null
  done
  echo "$row"
done
