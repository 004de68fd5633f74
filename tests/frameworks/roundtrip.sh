#!/usr/bin/env bash
# Build a SciFact index with each framework on each engine (fwtest-* names), search the test
# queries through the framework's retriever, save each index's mapping, then delete the indexes.
#   tests/frameworks/roundtrip.sh [OUTDIR]     (env: LIMIT=N for a partial corpus, KEEP=1 keeps the indexes,
#                                               FRAMEWORKS, ENGINES to narrow, MODEL=DIR)
# OUTDIR (default $SEMBRIDGE_HOME/fwtest) receives build-*.json, search-*.json, mapping-*.json.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
home="${SEMBRIDGE_HOME:-$HOME/.cache/sembridge}"
py="$home/venv/bin/python"
shared="${SEMBRIDGE_SHARED:-$here/../../../shared}"
data="$shared/datasets/scifact"
out="${1:-$home/fwtest}"
mkdir -p "$out"
source "$here/../../scripts/ports.env" 2>/dev/null || true
os_url="http://127.0.0.1:${SEMBRIDGE_OS_PORT:-${SEMBRIDGE_OS_PORT_DEFAULT:-9200}}"
es_url="http://127.0.0.1:${SEMBRIDGE_ES_PORT:-${SEMBRIDGE_ES_PORT_DEFAULT:-9201}}"
model_args=()
[ -n "${MODEL:-}" ] && model_args=(--model "$MODEL")
limit_args=()
[ -n "${LIMIT:-}" ] && limit_args=(--limit "$LIMIT")

for engine in ${ENGINES:-opensearch elasticsearch}; do
  url="$os_url"; short=os
  [ "$engine" = elasticsearch ] && { url="$es_url"; short=es; }
  for fw in ${FRAMEWORKS:-langchain haystack}; do
    index="fwtest-scifact-$fw-$short"
    echo "== $fw on $engine: $index" >&2
    "$py" "$here/fw.py" build --framework "$fw" --engine "$engine" --url "$url" --index "$index" \
      --corpus "$data/corpus.jsonl" --recreate "${model_args[@]}" "${limit_args[@]}" | tee "$out/build-$fw-$short.json"
    "$py" "$here/fw.py" mapping --engine "$engine" --url "$url" --index "$index" > "$out/mapping-$fw-$short.json"
    "$py" "$here/fw.py" search --framework "$fw" --engine "$engine" --url "$url" --index "$index" \
      --queries "$data/queries.jsonl" --qrels "$data/qrels/test.tsv" --k 10 --scores "${model_args[@]}" \
      --output "$out/search-$fw-$short.json"
    [ -n "${KEEP:-}" ] || "$py" "$here/fw.py" drop --engine "$engine" --url "$url" --index "$index" >/dev/null
  done
done
echo "results in $out" >&2
