#!/usr/bin/env bash
# Load (not a test): `sembridge::query::run` under concurrency against each engine: CLIENTS
# clients (each its own connection pool) loop over the SciFact queries for SECONDS, in MODE
# (hybrid: a kNN and a BM25 leg per query). Reports queries/s, p50/p90/p99/max latency and
# errors (any error or empty result fails the run). Query vectors are computed up front. The
# index is built from the precomputed SciFact vectors (`ingest --vectors-from`) and deleted at
# the end.
#
# Usage: bench/load-query.sh [--engine opensearch|elasticsearch|both] [--clients 16]
#                              [--seconds 30] [--mode hybrid|knn|bm25]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/query-bench.sh"

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
INDEX="sembridge-load-query"
query_bench_setup load_query

rc=0
for e in "${ENGINES[@]}"; do
  index_scifact "$e"
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
