#!/usr/bin/env bash
# Benchmark (not a test): exact top-k with sembridge vs numpy (BLAS matmul + argpartition) on a
# synthetic store of 1,000,000 x 384 random unit vectors (built once, cached under
# $SEMBRIDGE_HOME/bench), one query at a time and batches of 100, k=10. Prints QPS for each, the
# ratio sembridge/numpy, the memory-bandwidth bound of one query, and whether the top-k ids agree.
#
# Usage: scripts/bench-exact.sh [--store PATH] [extra bench_exact args, e.g. --corpus-chunk 32768]
#   --store PATH  benchmark an existing store (e.g. SciFact from `sembridge embed`) instead;
#                 its queries must be a raw f32 file: pass --queries PATH --batch N as well.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

BENCH="$SEMBRIDGE_HOME/bench"
mkdir -p "$BENCH"
K="${K:-10}"; SINGLE="${SINGLE:-20}"; BATCHES="${BATCHES:-3}"

PY=python3
if [[ -x "$VENV/bin/python" ]]; then PY="$VENV/bin/python"; fi
if ! "$PY" -c 'import numpy' 2>/dev/null; then
  log "installing numpy for $PY"
  if [[ "$PY" == "$VENV/bin/python" ]]; then "$PY" -m pip install -q numpy; else "$PY" -m pip install -q --user numpy; fi
fi

log "building examples/bench_exact (release)"
(cd "$REPO_ROOT" && cargo build --release --quiet --example bench_exact)
BIN="$CARGO_TARGET_DIR/release/examples/bench_exact"

RUST_JSON="$BENCH/rust.json"; RUST_IDS="$BENCH/rust-ids.json"; NP_JSON="$BENCH/numpy.json"
log "sembridge exact search"
"$BIN" --cache "$BENCH" --k "$K" --single "$SINGLE" --batches "$BATCHES" --results "$RUST_IDS" "$@" >"$RUST_JSON"
STORE="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["store"])' "$RUST_JSON")"
QUERIES="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["queries"])' "$RUST_JSON")"
log "numpy exact search on the same store and queries"
"$PY" "$REPO_ROOT/scripts/bench_exact_numpy.py" "$STORE" "$QUERIES" "$K" "$SINGLE" "$BATCHES" >"$NP_JSON"

"$PY" - "$RUST_JSON" "$NP_JSON" "$RUST_IDS" <<'PYEOF'
import json, sys
r, n = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ids = json.load(open(sys.argv[3]))
overlap = [len(set(a) & set(b)) / max(len(b), 1) for a, b in zip(ids, n["top_ids"])]
gb = r["scan"]["bytes"] / 1e9
print(f"store: {r['store']}  ({r['n']:,} x {r['dims']}, {gb:.2f} GB f32), k={r['k']}, "
      f"{r['threads']} threads, chunks {r['query_chunk_size']} x {r['corpus_chunk_size']}, numpy {n['numpy']}")
print(f"{'':16}{'sembridge':>12}{'numpy':>12}{'ratio':>8}")
for key, label in (("single", "1 query  QPS"), ("batch", f"{r['batch']['size']} queries QPS")):
    a, b = r[key]["qps"], n[key]["qps"]
    print(f"{label:16}{a:12.2f}{b:12.2f}{a / b:7.2f}x")
bw = r["scan"]["gb_per_s"]
print(f"memory bandwidth: {bw:.1f} GB/s (parallel read of the matrix); numpy copy: {n['copy']['gb_per_s']:.1f} GB/s (read+write)")
print(f"one-query bound: {gb:.2f} GB / {bw:.1f} GB/s = {1000 * gb / bw:.0f} ms -> {bw / gb:.2f} QPS max; "
      f"sembridge at {100 * r['single']['qps'] / (bw / gb):.0f}% of it")
print(f"top-{r['k']} agreement with numpy (batch queries): mean {sum(overlap) / len(overlap):.4f}, min {min(overlap):.2f}")
PYEOF
