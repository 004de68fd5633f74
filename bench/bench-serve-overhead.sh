#!/usr/bin/env bash
# Benchmark (not a test): per-query client overhead of `sembridge serve` against the library's
# (the CLI's query path) and a minimal raw HTTP client, in the same command, on each engine, over
# the 300 judged SciFact test queries, one query at a time:
#   raw      bench/client_overhead.rs's kept-alive HTTP/1.1 client: wall - took (what no client avoids)
#   library  sembridge::query::run, query vectors precomputed: wall - took (bench/bench-query.sh)
#   serve    a kept-alive Python HTTP client against `sembridge serve`: wall - took - embed_ms (the
#            server's own embedding time, so the three compare the same work)
# Usage: bench/bench-serve-overhead.sh [--engine opensearch|elasticsearch|both]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/query-bench.sh"

ENGINES=(opensearch elasticsearch)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --engine) [[ "$2" == both ]] || ENGINES=("$2"); shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
PY=python3; [[ -x "$VENV/bin/python" ]] && PY="$VENV/bin/python"
INDEX="sembridge-bench-serve"
query_bench_setup client_overhead
trap 'stop_serve; query_bench_cleanup' EXIT

for e in "${ENGINES[@]}"; do
  index_scifact "$e"
  log "$e: library and raw client"
  "$BIN" --url "$URL" --index "$INDEX" --queries "$DATA/queries.jsonl" --qrels "$DATA/qrels/test.tsv" \
    >"$WORK/$e-lib.json"
  start_serve "$e"
  log "$e: serve at $SERVE"
  "$PY" - "$SERVE" "$DATA" "$WORK/$e-serve.json" <<'PYEOF'
import http.client, json, statistics, sys, time, urllib.parse
serve, data, out = sys.argv[1], sys.argv[2], sys.argv[3]
judged = {l.split("\t")[0] for l in open(f"{data}/qrels/test.tsv") if not l.startswith("query-id")}
queries = [q["text"] for q in map(json.loads, open(f"{data}/queries.jsonl")) if q["_id"] in judged]
host = urllib.parse.urlparse(serve).netloc
conn = http.client.HTTPConnection(host)
res = {}
for mode in ("bm25", "knn", "hybrid"):
    over = []
    for i, q in enumerate(queries[:30] + queries):  # the first 30 warm up
        path = "/search?" + urllib.parse.urlencode({"q": q, "mode": mode, "k": 10})
        t = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        body = json.loads(r.read())
        wall = (time.perf_counter() - t) * 1e3
        assert r.status == 200 and body["hits"], body
        if i >= 30:
            over.append(wall - body["took_ms"] - body["embed_ms"])
    over.sort()
    res[mode] = {"n": len(over), "p50_ms": statistics.median(over), "p95_ms": over[int(0.95 * len(over))]}
json.dump(res, open(out, "w"))
PYEOF
  stop_serve
done

"$PY" - "$WORK" "${ENGINES[@]}" <<'PYEOF'
import json, os, sys
work, engines = sys.argv[1], sys.argv[2:]
print("per-query client overhead (ms): wall - engine took (serve: also - its embedding time); 300 SciFact queries")
print(f"{'engine':14}{'mode':8}{'raw p50':>9}{'lib p50':>9}{'serve p50':>10}{'serve p95':>10}{'serve-lib p50':>14}")
for e in engines:
    lib = json.load(open(os.path.join(work, e + "-lib.json")))["modes"]
    srv = json.load(open(os.path.join(work, e + "-serve.json")))
    for m in ("bm25", "knn", "hybrid"):
        raw, sb, s = lib[m]["raw_http"]["p50_ms"], lib[m]["sembridge"]["p50_ms"], srv[m]
        print(f"{e[:13]:14}{m:8}{raw:9.2f}{sb:9.2f}{s['p50_ms']:10.2f}{s['p95_ms']:10.2f}{s['p50_ms'] - sb:14.2f}")
print("`took` is whole milliseconds (truncated): every figure carries up to +1 ms of engine time.")
PYEOF
