#!/usr/bin/env bash
# Load (not a test): `sembridge serve` under CLIENTS concurrent HTTP clients (bench/load_serve.rs),
# SECONDS per mode per engine, cycling over the SciFact queries; the server embeds every query.
# Reports queries/s, p50/p90/p99/max latency, errors (any error or empty result fails the run),
# the server's errors and turned-away requests from /metrics, and its RSS before and after. The
# index is built from the precomputed SciFact vectors (`ingest --vectors-from`) and deleted at the
# end.
#
# Usage: bench/load-serve.sh [--engine opensearch|elasticsearch|both] [--clients 16]
#                              [--seconds 30] [--modes bm25,knn,hybrid]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/query-bench.sh"

ENGINES=(opensearch elasticsearch); CLIENTS=16; SECONDS_=30; MODES=bm25,knn,hybrid
while [[ $# -gt 0 ]]; do
  case "$1" in
    --engine) [[ "$2" == both ]] || ENGINES=("$2"); shift 2 ;;
    --clients) CLIENTS="$2"; shift 2 ;;
    --seconds) SECONDS_="$2"; shift 2 ;;
    --modes) MODES="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
INDEX="sembridge-load-serve"
query_bench_setup load_serve

trap 'stop_serve; query_bench_cleanup' EXIT
rss_mib() { awk '/^VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

rc=0
for e in "${ENGINES[@]}"; do
  index_scifact "$e"
  start_serve "$e" --max-concurrent $((CLIENTS * 2))
  curl -sf "$SERVE/search?q=warm+up&mode=hybrid" >/dev/null
  rss_before="$(rss_mib "$SERVE_PID")"
  IFS=, read -ra modes <<<"$MODES"
  for mode in "${modes[@]}"; do
    log "$e: serve at $SERVE, $CLIENTS clients, $mode, ${SECONDS_}s"
    "$BIN" --url "$SERVE" --queries "$DATA/queries.jsonl" --clients "$CLIENTS" \
      --seconds "$SECONDS_" --mode "$mode" >"$WORK/$e-$mode.json" || rc=1
    python3 - "$e" "$WORK/$e-$mode.json" <<'PYEOF'
import json, sys
e, r = sys.argv[1], json.load(open(sys.argv[2]))
print(f"{e:14} {r['mode']:7} {r['clients']:3d} clients {r['seconds']:5.1f}s  {r['ok']:7d} ok  "
      f"{r['errors']} errors  {r['qps']:7.1f} q/s  p50 {r['p50_ms']:6.2f} ms  p90 {r['p90_ms']:6.2f}  "
      f"p99 {r['p99_ms']:6.2f}  max {r['max_ms']:7.2f}" + (f"  first error: {r['first_error']}" if r['errors'] else ""))
PYEOF
  done
  rss_after="$(rss_mib "$SERVE_PID")"
  metrics="$(curl -sf "$SERVE/metrics")"
  engine_errors="$(awk '/^sembridge_engine_errors_total/ {s += $2} END {print s + 0}' <<<"$metrics")"
  rejected="$(awk '/^sembridge_rejected_requests_total/ {s += $2} END {print s + 0}' <<<"$metrics")"
  echo "$e: server RSS ${rss_before} MiB before, ${rss_after} MiB after; engine errors $engine_errors, turned away $rejected"
  stop_serve
done
exit $rc
