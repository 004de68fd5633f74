#!/usr/bin/env bash
# The million-document benchmark of issue 21 (a benchmark, not a test): one command, resumable from
# its caches (each stage writes a JSON result under $CORPUS/bench/ and is skipped when it exists;
# --fresh RUN removes one stage's results, --fresh all all of them).
#
#   bench/bench-scale.sh                       the 1M corpus of scripts/build-scale-corpus.sh
#   bench/bench-scale.sh --corpus DIR          any BEIR-layout folder (corpus.jsonl, queries.jsonl),
#                                              e.g. the CI slice: --corpus $SEMBRIDGE_HOME/testdata/scale-wordnet-50000
#   [--engines opensearch,elasticsearch] [--es-types hnsw,int8_hnsw,bbq_hnsw]
#   [--sweep 10,20,50,100,200,500,1000,2000] [--out docs/scale.md] [--label TEXT] [--fresh STAGE|all]
#   [--stages embed,exact,ingest,eval,report]  run only these stages (their inputs must be cached)
#
# Stages (figures in the JSON files and in the --out page):
#   embed   `sembridge embed` of the corpus into a store (docs/s, /usr/bin/time -v peak RSS) and of
#           the queries; then the embedding peer on the first 20,000 texts, in the same run:
#           sembridge embed vs bench/bench_embed_python.py ort --sort (onnxruntime, batches of
#           32 sorted by length; the same model and threads).
#   exact   ground truth: `sembridge exact --queries --trec-run` top-100 of every query (its qrels
#           are a placeholder so every query counts), then numpy (scripts/sbstore.py reader, BLAS
#           matmul) recomputes 50 queries and the top-10/top-100 sets are compared; numpy and
#           sembridge exact are timed on 1 and 100 queries. qrels-exact10.tsv (the exact top-10,
#           relevance 1) lets `eval` run on queries that have no human judgments.
#   ingest  per index: `sembridge ingest --vectors-from STORE --no-refresh` under /usr/bin/time -v,
#           with a first `--limit SMALL` run (100,000, or a tenth of a smaller corpus) for the peak
#           RSS at SMALL; refresh then force-merge to one segment, timed; index size on disk (primary
#           store.size after the merge) and engine heap used (_nodes/stats). The engine's bulk
#           ceiling is measured in the same run: bench/bench_ingest_python.py --prebuilt POSTs
#           the same documents and vectors, with bodies serialized before the clock starts, into a
#           copy of the index (same mapping and index type) at the same bulk size and concurrency;
#           both figures count create + bulk + refresh, docs/s over wall time
#           (SEMBRIDGE_SCALE_CEILING_DOCS=N: the ceiling on the first N documents, to bound its memory).
#   eval    `sembridge eval --sweep` per index: kNN recall@10 (and @100 from 100 candidates on)
#           against exact, latency p50/p95/p99 one query at a time; modes' figures against the
#           exact top-10.
#   report  the --out page (tables, machine, date) and a recall-vs-throughput SVG per engine
#           (bench/scale_plot.rs, the plotting code of `eval --plot`).
# Engines: scripts/engines.sh (SEMBRIDGE_ENGINE_HEAP raises both heaps; at 1M use 4g or more).
# Binary: $SEMBRIDGE_BIN (default the release build, built here when missing).
set -euo pipefail
USER_BIN="${SEMBRIDGE_BIN:-}" # common.sh sets SEMBRIDGE_BIN to the release build
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"
LOG_TAG=bench-scale

CORPUS_DIR="${SEMBRIDGE_SCALE_CORPUS:-$SEMBRIDGE_HOME/testdata/scale}"
ENGINES=opensearch,elasticsearch ES_TYPES=hnsw,int8_hnsw,bbq_hnsw
SWEEP=10,20,50,100,200,500,1000,2000 OUT="" LABEL="" FRESH="" STAGES=embed,exact,ingest,eval,report
while (($#)); do
  case "$1" in
    --corpus) CORPUS_DIR="$2"; shift 2 ;;
    --engines) ENGINES="$2"; shift 2 ;;
    --es-types) ES_TYPES="$2"; shift 2 ;;
    --sweep) SWEEP="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --label) LABEL="$2"; shift 2 ;;
    --fresh) FRESH="$2"; shift 2 ;;
    --stages) STAGES="$2"; shift 2 ;;
    -h|--help) sed -n '2,42p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
OUT="${OUT:-$REPO_ROOT/docs/scale.md}"
CORPUS="$CORPUS_DIR/corpus.jsonl" QUERIES="$CORPUS_DIR/queries.jsonl"
[[ -s "$CORPUS" && -s "$QUERIES" ]] || die "no corpus.jsonl + queries.jsonl in $CORPUS_DIR (scripts/build-scale-corpus.sh [--wordnet-slice 50000])"
PY="$VENV/bin/python"; [[ -x "$PY" ]] || die "no venv at $VENV (scripts/setup.sh)"
MODEL="${SEMBRIDGE_MODEL:-$SEMBRIDGE_HOME/models/all-MiniLM-L6-v2}"
[[ -f "$MODEL/tokenizer.json" ]] || die "no model at $MODEL (set SEMBRIDGE_MODEL)"
MODEL_NAME="$(basename "$MODEL")"
SB="${USER_BIN:-$SEMBRIDGE_BIN}"
if [[ ! -x "$SB" ]]; then
  log "building sembridge (release)"
  (cd "$REPO_ROOT" && cargo build --release --quiet --bin sembridge)
fi
[[ -x /usr/bin/time ]] || die "/usr/bin/time is needed for peak RSS (apt-get install time)"

W="$CORPUS_DIR/bench"; mkdir -p "$W"
if [[ "$FRESH" == all ]]; then rm -f "$W"/*.json; elif [[ -n "$FRESH" ]]; then rm -f "$W/$FRESH"*.json; fi
NDOCS=$(wc -l <"$CORPUS"); NQ=$(wc -l <"$QUERIES")
STORE="$CORPUS_DIR/corpus-$MODEL_NAME.sbv" QSTORE="$CORPUS_DIR/queries-$MODEL_NAME.sbv"
SMALL=$(( NDOCS >= 1000000 ? 100000 : NDOCS / 10 ))
SAMPLE=$(( NDOCS < 20000 ? NDOCS : 20000 ))
THREADS="${SEMBRIDGE_THREADS:-$(nproc)}"
# The ceiling run holds every bulk body in memory (about 4 KiB a document with 384 dims): set
# SEMBRIDGE_SCALE_CEILING_DOCS to measure it on the first N documents only (reported as such).
CEIL_LIMIT=(); [[ -z "${SEMBRIDGE_SCALE_CEILING_DOCS:-}" ]] || CEIL_LIMIT=(--limit "$SEMBRIDGE_SCALE_CEILING_DOCS")
log "corpus $CORPUS_DIR: $NDOCS docs, $NQ queries; results in $W"

# timed OUT.json CMD...: run CMD under /usr/bin/time -v; OUT.json gets wall_secs, peak_rss_mib and
# the command's stdout when it is JSON (under "out"), stderr's last line under "stderr_tail".
timed() {
  local out="$1"; shift
  local t="$W/.time.$$" e="$W/.stderr.$$" o="$W/.stdout.$$"
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$t" "$@" >"$o" 2>"$e" || { tail -n 20 "$e" >&2; die "failed: $*"; }
  end=$(date +%s.%N)
  "$PY" - "$out" "$t" "$o" "$e" "$start" "$end" <<'PYEOF'
import json, re, sys
out, t, o, e, start, end = sys.argv[1:]
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(t).read()).group(1))
text = open(o).read().strip()
try:
    parsed = json.loads(text) if text[:1] in "{[" else None
except ValueError:
    parsed = None
err = [l for l in open(e).read().splitlines() if l.strip()]
json.dump({"wall_secs": float(end) - float(start), "peak_rss_mib": rss / 1024, "out": parsed,
           "stderr_tail": err[-1] if err else ""}, open(out, "w"), indent=1)
PYEOF
  rm -f "$t" "$e" "$o"
}
done_stage() { [[ -s "$W/$1.json" ]]; }
want() { [[ ",$STAGES," == *",$1,"* ]]; }

# ---------------------------------------------------------------- embed
if want embed && { ! done_stage embed-corpus || [[ ! -s "$STORE" ]]; }; then
  log "embed: $NDOCS documents into $STORE (docs/s in the log line)"
  timed "$W/embed-corpus.json" "$SB" embed --model "$MODEL" --input "$CORPUS" --output "$STORE"
fi
if want embed && [[ ! -s "$QSTORE" ]]; then
  "$SB" embed --model "$MODEL" --queries --input "$QUERIES" --output "$QSTORE"
fi
if want embed && ! done_stage embed-peer; then
  head -n "$SAMPLE" "$CORPUS" >"$W/sample.jsonl"
  log "embed peer: the first $SAMPLE texts, sembridge then Python onnxruntime (length-sorted), $THREADS threads"
  timed "$W/embed-sample-sembridge.json" "$SB" embed --model "$MODEL" --input "$W/sample.jsonl" --output "$W/sample.sbv"
  timed "$W/embed-peer.json" "$PY" "$REPO_ROOT/bench/bench_embed_python.py" ort --model "$MODEL" \
    --corpus "$W/sample.jsonl" --limit "$SAMPLE" --threads "$THREADS" --sort --repeat 1
  rm -f "$W/sample.sbv"
fi

# ---------------------------------------------------------------- exact ground truth
FIRST_ID=$(head -n1 "$CORPUS" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["_id"])')
if want exact && ! done_stage exact; then
  # Placeholder qrels: every query judged (relevance 0) so `exact --queries` runs them all.
  "$PY" - "$QUERIES" "$FIRST_ID" >"$W/qrels-all.tsv" <<'PYEOF'
import json, sys
print("query-id\tcorpus-id\tscore")
for line in open(sys.argv[1], encoding="utf-8"):
    print(f"{json.loads(line)['_id']}\t{sys.argv[2]}\t0")
PYEOF
  log "exact: top-100 of $NQ queries over $NDOCS vectors"
  timed "$W/exact.json" "$SB" exact --model "$MODEL" --store "$STORE" --queries "$QUERIES" \
    --qrels "$W/qrels-all.tsv" -k 100 --trec-run "$W/exact.run" --json
  log "exact: numpy check on 50 queries and timing on 1 / 100 queries"
  "$PY" "$REPO_ROOT/bench/scale_numpy_check.py" "$STORE" "$QSTORE" "$W/exact.run" 50 >"$W/exact-numpy.json"
  # sembridge exact on 1 and on 100 queries, the same vectors as numpy (raw f32 from the store).
  "$PY" "$REPO_ROOT/bench/scale_numpy_check.py" --write-queries "$QSTORE" 100 "$W/q100.jsonl"
  head -n1 "$W/q100.jsonl" >"$W/q1.jsonl"
  for n in 1 100; do
    "$PY" - "$W/q$n.jsonl" >"$W/qrels-q$n.tsv" <<PYEOF
import json, sys
print("query-id\tcorpus-id\tscore")
for line in open(sys.argv[1], encoding="utf-8"):
    print(f"{json.loads(line)['_id']}\t$FIRST_ID\t0")
PYEOF
    timed "$W/exact-q$n.json" "$SB" exact --model "$MODEL" --store "$STORE" --queries "$W/q$n.jsonl" \
      --qrels "$W/qrels-q$n.tsv" -k 100 --json
  done
  # The exact top-10 as qrels: eval's nDCG then measures agreement with exact search.
  awk '$4 <= 10 {print $1"\t"$3"\t1"}' "$W/exact.run" | { echo -e "query-id\tcorpus-id\tscore"; cat; } >"$W/qrels-exact10.tsv"
fi

# ---------------------------------------------------------------- ingest + eval per index
IFS=, read -r -a ENG <<<"$ENGINES"
IFS=, read -r -a EST <<<"$ES_TYPES"
TARGETS=()
for e in "${ENG[@]}"; do
  case "$e" in
    opensearch) TARGETS+=("opensearch:lucene") ;;
    elasticsearch) for t in "${EST[@]}"; do TARGETS+=("elasticsearch:$t"); done ;;
    *) die "--engines: opensearch or elasticsearch, not '$e'" ;;
  esac
done
TAG=$(basename "$CORPUS_DIR" | tr -c 'a-z0-9\n' '-')
jget() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); [d:=d[k] for k in sys.argv[1:]]; print(d)' "$@"; }

for target in "${TARGETS[@]}"; do
  engine="${target%%:*}" type="${target##*:}"
  url="$(engine_http_url "$engine")"
  curl -sf "$url" >/dev/null || die "$engine is not answering at $url (scripts/engines.sh start $engine)"
  idx="sembridge-scale-$TAG-$type" key="$engine-$type"
  if [[ "$engine" == opensearch ]]; then flags=(--knn-engine "$type"); else flags=(--es-index-type "${type//_/-}"); fi
  common=(--url "$url" --corpus "$CORPUS" --vectors-from "$STORE" --quiet --json --no-refresh
          --dead-letter "$W/$key.dead.jsonl" "${flags[@]}")
  if want ingest && ! done_stage "ingest-$key"; then
    log "ingest $key: peak RSS at $SMALL documents"
    timed "$W/ingest-$key-small.json" "$SB" ingest --index "$idx-small" --recreate --limit "$SMALL" \
      --checkpoint "$W/$key-small.checkpoint.json" "${common[@]}"
    curl -s -XDELETE "$url/$idx-small" >/dev/null
    log "ingest $key: $NDOCS documents into $idx"
    timed "$W/ingest-$key-run.json" "$SB" ingest --index "$idx" --recreate \
      --checkpoint "$W/$key.checkpoint.json" "${common[@]}"
    t0=$(date +%s.%N); curl -sf -XPOST "$url/$idx/_refresh" >/dev/null; t1=$(date +%s.%N)
    curl -sf -XPOST "$url/$idx/_forcemerge?max_num_segments=1" >/dev/null; t2=$(date +%s.%N)
    count=$(curl -sf "$url/$idx/_count" | jget count)
    [[ "$count" == "$NDOCS" ]] || die "$idx holds $count documents, not $NDOCS"
    size=$(curl -sf "$url/$idx/_stats/store" | jget _all primaries store size_in_bytes)
    heap=$(curl -sf "$url/_nodes/stats/jvm" | "$PY" -c 'import json,sys; n=json.load(sys.stdin)["nodes"]; j=[v["jvm"]["mem"] for v in n.values()]; print(json.dumps({"heap_used":sum(x["heap_used_in_bytes"] for x in j),"heap_max":sum(x["heap_max_in_bytes"] for x in j)}))')
    version=$(curl -sf "$url" | jget version number)
    log "ingest $key: engine bulk ceiling (prebuilt bodies, same mapping)"
    "$PY" "$REPO_ROOT/bench/bench_ingest_python.py" --url "$url" --engine "$engine" --corpus "$CORPUS" \
      --store "$STORE" --like "$idx" --index "$idx-ceiling" --chunk-size 500 --threads 4 --prebuilt "${CEIL_LIMIT[@]}" >"$W/ingest-$key-ceiling.json"
    curl -s -XDELETE "$url/$idx-ceiling" >/dev/null
    "$PY" - "$W/ingest-$key.json" "$t0" "$t1" "$t2" "$count" "$size" "$heap" "$version" "$engine" "$type" <<'PYEOF'
import json, sys
out, t0, t1, t2, count, size, heap, version, engine, kind = sys.argv[1:]
json.dump({"engine": engine, "version": version, "type": kind, "count": int(count),
           "refresh_secs": float(t1) - float(t0), "forcemerge_secs": float(t2) - float(t1),
           "size_bytes": int(size), **json.loads(heap)}, open(out, "w"), indent=1)
PYEOF
  fi
  if want eval && ! done_stage "eval-$key"; then
    log "eval $key: sweep $SWEEP over $NQ queries"
    curl -sf "$url/$idx/_count" >/dev/null || die "index $idx is gone: --fresh ingest-$key to rebuild it"
    timed "$W/eval-$key.json" "$SB" eval --url "$url" --index "$idx" --model "$MODEL" --queries "$QUERIES" \
      --qrels "$W/qrels-exact10.tsv" --store "$STORE" --sweep "$SWEEP" --json --trec-run "$W/runs-$key"
  fi
done

# ---------------------------------------------------------------- report
want report || exit 0
log "report: $OUT and the plots next to it"
"$PY" "$REPO_ROOT/bench/scale_report.py" --work "$W" --corpus-dir "$CORPUS_DIR" --out "$OUT" \
  --label "$LABEL" --targets "$(IFS=,; echo "${TARGETS[*]}")" --threads "$THREADS" --model "$MODEL_NAME"
log "done: $OUT"
