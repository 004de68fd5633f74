#!/usr/bin/env bash
# Benchmark (not a test): embedding throughput of sembridge vs Python peers on SciFact, same model,
# same thread count, run one after the other (never concurrently):
#   - sembridge (bench/bench_embed.rs: length-sorted token-budget batches, tokenizing ahead)
#   - Python onnxruntime + tokenizers, batch 32 in input order, padding to the longest of the batch,
#     truncation at 256, masked mean pooling, L2 normalize (the baseline a user writes)
#   - sentence-transformers, batch 32 (only when the venv has it)
# on the 5,183 documents (title + " " + text, trimmed) and the 1,109 queries (short texts), for the
# default int8 model and the fp32 reference. Prints texts/s, the ratio sembridge / best Python peer,
# vector parity (cosine on the first SAMPLE texts) and the fraction of the CPU's peak FLOP/s.
#
# Usage: bench/bench-embed.sh [extra bench_embed args, e.g. --token-budget 4096 --opt extended]
#        bench/bench-embed.sh pool   (the embedding pool; see below)
# Environment: THREADS (2), REPEAT (2: best of), LIMIT (all documents), QLIMIT (all queries),
#   MODELS ("int8 fp32"), SAMPLE (64), SCIFACT (dataset folder), FP32_MODEL, INT8_MODEL,
#   FLOP_PER_TOKEN (23.6e6), FLOP_PER_CYCLE (32: AVX2 FMA fp32 = 2 units x 8 lanes x 2).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"

# `pool`: docs/s of `sembridge embed` for worker x thread layouts and the default flags, against
# the Python multi-process peer with the same number of processes and against the base binary's
# default (today's single session), interleaved in one run (bench/bench_embed_pool.py), for the
# new default model and the old int8 one. Environment: POOL_CONFIGS ("1x2 2x1 default" on 2 cores,
# "1xC 2x(C/2) 4x(C/4) 8x(C/8) default" from 8 cores), POOL_PEERS (the N x T configurations),
# BASE_BIN (the base revision's release binary; unset it to skip), LIMIT (1500 documents),
# ROUNDS (3).
if [[ ${1:-} == pool ]]; then
  PY="$VENV/bin/python"
  [[ -x "$PY" ]] || die "no venv at $VENV: run scripts/setup.sh first"
  SCIFACT="${SCIFACT:-$SHARED/datasets/scifact}"
  NEW_MODEL="${NEW_MODEL:-$SEMBRIDGE_HOME/models/all-MiniLM-L6-v2}"
  OLD_MODEL="${OLD_MODEL:-$SEMBRIDGE_HOME/models/all-MiniLM-L6-v2-int8-pypi}"
  BASE_BIN="${BASE_BIN-$SEMBRIDGE_HOME/target/release/sembridge}"
  CORES="$(nproc)"
  if [[ -z ${POOL_CONFIGS:-} ]]; then
    if ((CORES >= 8)); then
      POOL_CONFIGS="1x$CORES 2x$((CORES / 2)) 4x$((CORES / 4)) 8x$((CORES / 8)) default"
    else
      POOL_CONFIGS="1x$CORES ${CORES}x1 default"
    fi
  fi
  POOL_PEERS="${POOL_PEERS:-$(tr ' ' '\n' <<<"$POOL_CONFIGS" | grep -v default | tr '\n' ' ')}"
  log "building sembridge (release)"
  (cd "$REPO_ROOT" && cargo build --release --quiet --bin sembridge)
  BASE=()
  if [[ -n $BASE_BIN ]]; then
    [[ -x $BASE_BIN ]] || die "BASE_BIN=$BASE_BIN is not an executable (build the base revision, or set BASE_BIN= to skip)"
    BASE=(--base-bin "$BASE_BIN")
  fi
  mkdir -p "$SEMBRIDGE_HOME/bench/embed"
  log "load before the runs: $(uptime)"
  "$PY" "$REPO_ROOT/bench/bench_embed_pool.py" --bin "$CARGO_TARGET_DIR/release/sembridge" "${BASE[@]}" \
    --corpus "$SCIFACT/corpus.jsonl" --limit "${LIMIT:-1500}" --rounds "${ROUNDS:-3}" --python "$PY" \
    --model "new=$NEW_MODEL" --model "old-int8=$OLD_MODEL" \
    --configs "$POOL_CONFIGS" --peers "$POOL_PEERS" --json "$SEMBRIDGE_HOME/bench/embed/pool.json"
  log "load after the runs: $(uptime)"
  exit 0
fi

THREADS="${THREADS:-2}"; REPEAT="${REPEAT:-2}"; SAMPLE="${SAMPLE:-64}"
LIMIT="${LIMIT:-1000000000}"; QLIMIT="${QLIMIT:-1000000000}"
MODELS="${MODELS:-int8 fp32}"
SCIFACT="${SCIFACT:-$SHARED/datasets/scifact}"
INT8_MODEL="${INT8_MODEL:-$SEMBRIDGE_HOME/models/all-MiniLM-L6-v2}"
FP32_MODEL="${FP32_MODEL:-$SHARED/models/all-MiniLM-L6-v2}"
FLOP_PER_TOKEN="${FLOP_PER_TOKEN:-23.6e6}"; FLOP_PER_CYCLE="${FLOP_PER_CYCLE:-32}"
OUT="$SEMBRIDGE_HOME/bench/embed"
mkdir -p "$OUT"

PY="$VENV/bin/python"
[[ -x "$PY" ]] || die "no venv at $VENV: run scripts/setup.sh first"
"$PY" -c 'import onnxruntime, tokenizers, numpy' 2>/dev/null || die "the venv lacks onnxruntime/tokenizers/numpy"
HAVE_ST=0
if "$PY" -c 'import sentence_transformers' 2>/dev/null; then HAVE_ST=1; fi
[[ -f "$SCIFACT/corpus.jsonl" && -f "$SCIFACT/queries.jsonl" ]] || die "SciFact not found in $SCIFACT (set SCIFACT)"

log "building the bench_embed example (bench/bench_embed.rs, release)"
(cd "$REPO_ROOT" && cargo build --release --quiet --example bench_embed)
BIN="$CARGO_TARGET_DIR/release/examples/bench_embed"

log "load before the runs: $(uptime)"
RESULTS="$OUT/results.jsonl"; : >"$RESULTS"
for m in $MODELS; do
  case "$m" in
    int8) MODEL="$INT8_MODEL" ;;
    fp32) MODEL="$FP32_MODEL" ;;
    *) die "MODELS: unknown model $m (int8, fp32)" ;;
  esac
  [[ -f "$MODEL/model.onnx" ]] || { log "skipping $m: no $MODEL/model.onnx"; continue; }
  for kind in documents queries; do
    if [[ $kind == documents ]]; then SRC=(--corpus "$SCIFACT/corpus.jsonl" --limit "$LIMIT")
    else SRC=(--queries "$SCIFACT/queries.jsonl" --limit "$QLIMIT"); fi
    VEC="$OUT/$m-$kind.f32"
    log "$m $kind: sembridge"
    "$BIN" --model "$MODEL" "${SRC[@]}" --threads "$THREADS" --repeat "$REPEAT" \
      --vectors "$VEC" --sample "$SAMPLE" "$@" | sed "s/^{/{\"model_name\":\"$m\",/" >>"$RESULTS"
    log "$m $kind: python onnxruntime (batch 32)"
    "$PY" "$REPO_ROOT/bench/bench_embed_python.py" ort --model "$MODEL" "${SRC[@]}" \
      --threads "$THREADS" --repeat "$REPEAT" --compare "$VEC" | sed "s/^{/{\"model_name\": \"$m\", /" >>"$RESULTS"
    if [[ $HAVE_ST == 1 && $m == fp32 ]]; then
      log "$m $kind: sentence-transformers (batch 32)"
      "$PY" "$REPO_ROOT/bench/bench_embed_python.py" st --model "$MODEL" "${SRC[@]}" \
        --threads "$THREADS" --repeat "$REPEAT" --compare "$VEC" | sed "s/^{/{\"model_name\": \"$m\", /" >>"$RESULTS"
    fi
  done
done
log "load after the runs: $(uptime)"

"$PY" - "$RESULTS" "$THREADS" "$FLOP_PER_TOKEN" "$FLOP_PER_CYCLE" <<'PYEOF'
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
threads, flop_tok, flop_cyc = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
mhz = [float(m) for m in re.findall(r"^cpu MHz\s*:\s*([\d.]+)", open("/proc/cpuinfo").read(), re.M)]
ghz = (max(mhz) if mhz else 0) / 1000
peak = threads * ghz * 1e9 * flop_cyc
print(f"SciFact, {threads} threads, best of {len(rows[0]['runs'])} runs each; texts/s (tokens/s)")
print(f"{'model':6}{'texts':11}{'implementation':26}{'texts/s':>10}{'tokens/s':>10}{'ours/it':>8}{'parity(min cos)':>17}")
groups = {}
for r in rows:
    groups.setdefault((r["model_name"], r["kind"]), []).append(r)
for (m, kind), rs in groups.items():
    ours = next(r for r in rs if r["impl"] == "sembridge")
    peers = [r for r in rs if r["impl"] != "sembridge"]
    best = max(peers, key=lambda r: r["texts_per_sec"]) if peers else None
    for r in rs:
        ratio = "" if r is ours else f"{ours['texts_per_sec'] / r['texts_per_sec']:.2f}x"
        par = f"{r['parity']['min_cosine']:.6f}" if "parity" in r else ""
        print(f"{m:6}{kind:11}{r['impl']:26}{r['texts_per_sec']:10.1f}{r['tokens_per_sec']:10.0f}{ratio:>8}{par:>17}")
    if best:
        target = 1.2 if kind == "documents" else 1.5
        x = ours["texts_per_sec"] / best["texts_per_sec"]
        print(f"{'':17}sembridge / best peer ({best['impl']}): {x:.2f}x (target >= {target}x: {'met' if x >= target else 'NOT met'})")
    flops = ours["tokens_per_sec"] * flop_tok
    print(f"{'':17}sembridge {flops / 1e9:.1f} GFLOP/s = {100 * flops / peak:.0f}% of peak "
          f"({threads} cores x {ghz:.2f} GHz x {flop_cyc:.0f} FLOP/cycle = {peak / 1e9:.0f} GFLOP/s; "
          f"{flop_tok / 1e6:.1f} MFLOP per real token, padding not counted)")
PYEOF
log "raw results: $RESULTS"
