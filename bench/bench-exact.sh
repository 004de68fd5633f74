#!/usr/bin/env bash
# Benchmark (not a test): exact top-k with sembridge vs numpy (BLAS matmul + argpartition) on a
# synthetic store of 1,000,000 x 384 random unit vectors (built once, cached under
# $SEMBRIDGE_HOME/bench), one query at a time and batches of 100, k=10. Prints QPS for each, the
# ratio sembridge/numpy, the memory-bandwidth bound of one query, and whether the top-k ids agree.
#
# Usage: bench/bench-exact.sh [--store PATH] [extra bench_exact args, e.g. --corpus-chunk 32768]
#   --store PATH  benchmark an existing store (e.g. SciFact from `sembridge embed`) instead;
#                 its queries must be a raw f32 file: pass --queries PATH --batch N as well.
#   --scifact     benchmark the SciFact store instead ($SEMBRIDGE_HOME/testdata/scifact-all-MiniLM-L6-v2.sbv,
#                 5,183 x 384, default int8 model) with the first 100 judged test queries, embedded
#                 with `sembridge embed --queries` (cached under $SEMBRIDGE_HOME/bench); must come
#                 first. SINGLE defaults to 300 and BATCHES to 30 there (a query takes microseconds).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"

BENCH="$SEMBRIDGE_HOME/bench"
mkdir -p "$BENCH"
SCIFACT=0
if [[ "${1:-}" == --scifact ]]; then SCIFACT=1; shift; SINGLE="${SINGLE:-300}"; BATCHES="${BATCHES:-30}"; fi
K="${K:-10}"; SINGLE="${SINGLE:-20}"; BATCHES="${BATCHES:-3}"

PY=python3
if [[ -x "$VENV/bin/python" ]]; then PY="$VENV/bin/python"; fi
if ! "$PY" -c 'import numpy' 2>/dev/null; then
  log "installing numpy for $PY"
  if [[ "$PY" == "$VENV/bin/python" ]]; then "$PY" -m pip install -q numpy; else "$PY" -m pip install -q --user numpy; fi
fi

log "building the bench_exact example (bench/bench_exact.rs, release)"
(cd "$REPO_ROOT" && cargo build --release --quiet --example bench_exact)

if [[ $SCIFACT == 1 ]]; then
  (cd "$REPO_ROOT" && cargo build --release --quiet --bin sembridge)
  DATA="$SHARED/datasets/scifact"
  SF_STORE="$SEMBRIDGE_HOME/testdata/scifact-all-MiniLM-L6-v2.sbv"
  QSTORE="$BENCH/scifact-queries-int8.sbv"; QRAW="$BENCH/scifact-queries-100x384.f32"
  if [[ ! -f "$SF_STORE" ]]; then
    log "embedding the SciFact corpus once (about 5 minutes on 2 cores)"
    mkdir -p "$(dirname "$SF_STORE")"
    "$SEMBRIDGE_BIN" embed --input "$DATA/corpus.jsonl" --output "$SF_STORE"
  fi
  if [[ ! -f "$QSTORE" ]]; then
    log "embedding the SciFact queries (sembridge embed --queries)"
    "$SEMBRIDGE_BIN" embed --queries --input "$DATA/queries.jsonl" --output "$QSTORE"
  fi
  # The first 100 judged test queries, in qrels order, as the raw f32 file both sides read.
  "$PY" - "$QSTORE" "$DATA/qrels/test.tsv" "$QRAW" <<'PYEOF'
import struct, sys
import numpy as np
path, qrels, out = sys.argv[1:4]
with open(path, "rb") as f:
    magic, version, _fl, dims, count, m_off, ids_off, meta_off, _ml = struct.unpack("<8sIIQQQQQQ", f.read(64))
    assert magic == b"SBSTORE1" and version == 1
    f.seek(ids_off); raw = f.read(meta_off - ids_off)
ids, at = [], 0
for _ in range(count):
    (n,) = struct.unpack_from("<I", raw, at); ids.append(raw[at + 4:at + 4 + n].decode()); at += 4 + n
row = {q: i for i, q in enumerate(ids)}
judged = []
for line in open(qrels):
    q = line.split("\t")[0]
    if q in row and q not in judged:
        judged.append(q)
m = np.memmap(path, dtype="<f4", mode="r", offset=m_off, shape=(count, dims))
np.ascontiguousarray(m[[row[q] for q in judged[:100]]], dtype="<f4").tofile(out)
PYEOF
  set -- --store "$SF_STORE" --queries "$QRAW" --batch 100 "$@"
fi
BIN="$CARGO_TARGET_DIR/release/examples/bench_exact"

RUST_JSON="$BENCH/rust.json"; RUST_IDS="$BENCH/rust-ids.json"; NP_JSON="$BENCH/numpy.json"
log "sembridge exact search"
"$BIN" --cache "$BENCH" --k "$K" --single "$SINGLE" --batches "$BATCHES" --results "$RUST_IDS" "$@" >"$RUST_JSON"
STORE="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["store"])' "$RUST_JSON")"
QUERIES="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["queries"])' "$RUST_JSON")"
log "numpy exact search on the same store and queries"
"$PY" "$REPO_ROOT/bench/bench_exact_numpy.py" "$STORE" "$QUERIES" "$K" "$SINGLE" "$BATCHES" >"$NP_JSON"
NP1_JSON=""
if [[ $SCIFACT == 1 ]]; then
  # On a store this small BLAS threading costs more than it saves (and swings with other load on
  # the machine): also run numpy with one BLAS thread and compare with both.
  log "numpy again with one BLAS thread"
  NP1_JSON="$BENCH/numpy-1thread.json"
  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
    "$PY" "$REPO_ROOT/bench/bench_exact_numpy.py" "$STORE" "$QUERIES" "$K" "$SINGLE" "$BATCHES" >"$NP1_JSON"
fi

"$PY" - "$RUST_JSON" "$NP_JSON" "$RUST_IDS" $NP1_JSON <<'PYEOF'
import json, sys
r, n = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ids = json.load(open(sys.argv[3]))
n1 = json.load(open(sys.argv[4])) if len(sys.argv) > 4 else None
overlap = [len(set(a) & set(b)) / max(len(b), 1) for a, b in zip(ids, n["top_ids"])]
gb = r["scan"]["bytes"] / 1e9
print(f"store: {r['store']}  ({r['n']:,} x {r['dims']}, {gb:.2f} GB f32), k={r['k']}, "
      f"{r['threads']} threads, chunks {r['query_chunk_size']} x {r['corpus_chunk_size']}, numpy {n['numpy']}")
print(f"{'':16}{'sembridge':>12}{'numpy':>12}{'ratio':>8}")
for key, label in (("single", "1 query  QPS"), ("batch", f"{r['batch']['size']} queries QPS")):
    a, b = r[key]["qps"], n[key]["qps"]
    print(f"{label:16}{a:12.2f}{b:12.2f}{a / b:7.2f}x")
    if n1:
        c = n1[key]["qps"]
        print(f"{'  (1 BLAS thread)':16}{'':12}{c:12.2f}{a / c:7.2f}x")
bw = r["scan"]["gb_per_s"]
print(f"memory bandwidth: {bw:.1f} GB/s (parallel read of the matrix); numpy copy: {n['copy']['gb_per_s']:.1f} GB/s (read+write)")
print(f"one-query bound: {gb:.2f} GB / {bw:.1f} GB/s = {1000 * gb / bw:.0f} ms -> {bw / gb:.2f} QPS max; "
      f"sembridge at {100 * r['single']['qps'] / (bw / gb):.0f}% of it")
print(f"top-{r['k']} agreement with numpy (batch queries): mean {sum(overlap) / len(overlap):.4f}, min {min(overlap):.2f}")
PYEOF
