#!/usr/bin/env bash
# The main job on a fresh machine: set everything up, start both engines, ingest the bundled demo
# corpus (data/demo) into each with the default model, and query it in every mode.
# Engines stay running afterwards (scripts/engines.sh stop stops them).
set -euo pipefail
source "$(dirname "$0")/common.sh"

"$REPO_ROOT/scripts/setup.sh"
"$REPO_ROOT/scripts/engines.sh" start

B="$SEMBRIDGE_BIN"
echo
echo "== sembridge info"
"$B" info

corpus="$REPO_ROOT/data/demo/corpus.jsonl"
for url in "$("$REPO_ROOT/scripts/engines.sh" url opensearch)" "$("$REPO_ROOT/scripts/engines.sh" url elasticsearch)"; do
  echo
  echo "== ingest $corpus into $url"
  "$B" ingest --url "$url" --corpus "$corpus" --index sembridge-demo --recreate --quiet
  while IFS= read -r line; do
    query="$(printf '%s' "$line" | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["text"])')"
    for mode in hybrid knn bm25; do
      echo
      "$B" query --url "$url" --index sembridge-demo --mode "$mode" -k 3 "$query"
    done
  done < <(head -n 2 "$REPO_ROOT/data/demo/queries.jsonl")
done
