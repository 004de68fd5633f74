#!/usr/bin/env bash
# Load (not a test): `sembridge::query::run` under concurrency against each engine: CLIENTS
# clients (each its own connection pool) loop over the SciFact queries for SECONDS, in MODE
# (hybrid: a kNN and a BM25 leg per query). Reports queries/s, p50/p90/p99/max latency and
# errors (any error or empty result fails the run). Query vectors are computed up front. The
# index is built from the precomputed SciFact vectors (`ingest --vectors-from`) and deleted at
# the end.
#
# Usage: scripts/load-query.sh [--engine opensearch|elasticsearch|both] [--clients 16]
#                              [--seconds 30] [--mode hybrid|knn|bm25]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ENGINES=(opensearch elasticsearch); CLIENTS=16; SECONDS_=30; MODE=hybrid
while [[ $# -gt 0 ]]; do
  case "$1" in
    --engine) [[ "$2" == both ]] || ENGINES=("$2"); shift 2 ;;
    --clients) CLIENTS="$2"; shift 2 ;;
    --seconds) SECONDS_="$2"; shift 2 ;;
    --mode) MODE="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
DATA="$SHARED/datasets/scifact"
STORE="$SEMBRIDGE_HOME/testdata/scifact-int8.sbv"
INDEX="sembridge-load-query"

log "building sembridge and examples/load_query (release)"
(cd "$REPO_ROOT" && cargo build --release --quiet --bin sembridge --example load_query)
BIN="$CARGO_TARGET_DIR/release/examples/load_query"
if [[ ! -f "$STORE" ]]; then
  log "no $STORE: embedding SciFact once (about 5 minutes on 2 cores)"
  mkdir -p "$(dirname "$STORE")"
  "$SEMBRIDGE_BIN" embed --input "$DATA/corpus.jsonl" --output "$STORE"
fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sembridge-load-query.XXXXXX")"
URLS=()
cleanup() {
  for u in "${URLS[@]}"; do curl -s -XDELETE "$u/$INDEX" >/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

rc=0
for e in "${ENGINES[@]}"; do
  case "$e" in
    opensearch) URL="http://127.0.0.1:${SEMBRIDGE_OS_PORT:-9200}" ;;
    elasticsearch) URL="http://127.0.0.1:${SEMBRIDGE_ES_PORT:-9201}" ;;
    *) die "--engine must be opensearch, elasticsearch or both" ;;
  esac
  curl -sf "$URL" >/dev/null || die "$e is not answering at $URL (scripts/engines.sh start $e)"
  URLS+=("$URL")
  log "$e: indexing SciFact from $STORE into $INDEX"
  "$SEMBRIDGE_BIN" ingest --url "$URL" --corpus "$DATA/corpus.jsonl" --vectors-from "$STORE" \
    --index "$INDEX" --recreate --quiet --checkpoint "$WORK/ckpt-$e.json" --dead-letter "$WORK/dead-$e.jsonl"
  log "$e: $CLIENTS clients, $MODE, ${SECONDS_}s"
  "$BIN" --url "$URL" --index "$INDEX" --queries "$DATA/queries.jsonl" --clients "$CLIENTS" \
    --seconds "$SECONDS_" --mode "$MODE" >"$WORK/$e.json" || rc=1
  python3 - "$e" "$WORK/$e.json" <<'PYEOF'
import json, sys
e, r = sys.argv[1], json.load(open(sys.argv[2]))
print(f"{e:14} {r['mode']:7} {r['clients']:3d} clients {r['seconds']:5.1f}s  {r['ok']:7d} ok  "
      f"{r['errors']} errors  {r['qps']:7.1f} q/s  p50 {r['p50_ms']:6.2f} ms  p90 {r['p90_ms']:6.2f}  "
      f"p99 {r['p99_ms']:6.2f}  max {r['max_ms']:7.2f}" + (f"  first error: {r['first_error']}" if r['errors'] else ""))
PYEOF
done
exit $rc
