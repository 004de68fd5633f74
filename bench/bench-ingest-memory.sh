#!/usr/bin/env bash
# Benchmark (not a test): does ingest's memory stay flat as the corpus grows? Runs
# `sembridge ingest --vectors-from STORE` on a small and a 10x larger synthetic corpus against one
# engine, sampling the process's anonymous resident memory (RssAnon: heap, buffers, channels; the
# memory-mapped store is file-backed and not in it) every 20 ms, and reports the peaks and their
# ratio. Target: large / small close to 1 (nothing kept per document).
#
# The vectors come from the synthetic 1M x 384 store of bench/bench-exact.sh (ids doc0..; built
# once here by the bench_exact example if missing, ~1.5 GB); the corpus lines are synthetic text of
# ~60 words with those ids, so every run opens the same store and only the corpus length changes.
#
# Usage: bench/bench-ingest-memory.sh [--engine opensearch|elasticsearch] [--small 20000]
#          [--factor 10]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"

ENGINE=opensearch; SMALL=20000; FACTOR=10
while [[ $# -gt 0 ]]; do
  case "$1" in
    --engine) ENGINE="$2"; shift 2 ;;
    --small) SMALL="$2"; shift 2 ;;
    --factor) FACTOR="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
URL=$(engine_http_url "$ENGINE")
LARGE=$((SMALL * FACTOR))
(( LARGE <= 1000000 )) || die "--small x --factor must be at most 1000000 (the store's size)"
curl -sf "$URL" >/dev/null || die "$ENGINE is not answering at $URL (scripts/engines.sh start $ENGINE)"
PY=python3; [[ -x "$VENV/bin/python" ]] && PY="$VENV/bin/python"

log "building sembridge and the bench_exact example (release)"
(cd "$REPO_ROOT" && cargo build --release --quiet --bin sembridge --example bench_exact)
CACHE="$SEMBRIDGE_HOME/bench"
STORE="$CACHE/synthetic-1000000x384.sbstore"
if [[ ! -f "$STORE" ]]; then
  log "building $STORE (once)"
  "$CARGO_TARGET_DIR/release/examples/bench_exact" --cache "$CACHE" --n 1000000 --single 1 --batches 1 >/dev/null
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/sembridge-bench-mem.XXXXXX")"
INDEX="sembridge-bench-memory"
cleanup() { curl -s -XDELETE "$URL/$INDEX?ignore_unavailable=true" >/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

"$PY" - "$WORK/corpus.jsonl" "$LARGE" <<'PYEOF'
import json, random, sys
path, n = sys.argv[1], int(sys.argv[2])
words = ("vector index engine query shard replica segment token model embedding corpus search "
         "document field mapping graph neighbour recall latency throughput cluster node").split()
rng = random.Random(7)
with open(path, "w") as f:
    for i in range(n):
        text = " ".join(rng.choice(words) for _ in range(60))
        f.write(json.dumps({"_id": f"doc{i}", "title": f"doc {i}", "text": text}) + "\n")
PYEOF
head -n "$SMALL" "$WORK/corpus.jsonl" >"$WORK/small.jsonl"

# peak TAG CORPUS: ingest CORPUS, print "TAG peak_rss_anon_kib peak_hwm_kib docs wall_s".
peak() {
  "$PY" - "$1" "$SEMBRIDGE_BIN" ingest --url "$URL" --index "$INDEX" --recreate --quiet --json \
    --corpus "$2" --vectors-from "$STORE" --checkpoint "$WORK/ckpt.json" --dead-letter "$WORK/dead.jsonl" <<'PYEOF'
import json, subprocess, sys, time
tag, cmd = sys.argv[1], sys.argv[2:]
p = subprocess.Popen(cmd, stdout=subprocess.PIPE)
anon = hwm = 0
def sample():
    global anon, hwm
    try:
        for line in open(f"/proc/{p.pid}/status"):
            k, _, v = line.partition(":")
            if k == "RssAnon": anon = max(anon, int(v.split()[0]))
            if k == "VmHWM": hwm = max(hwm, int(v.split()[0]))
    except OSError:
        pass
while p.poll() is None:
    sample(); time.sleep(0.02)
out = p.stdout.read().decode()
if p.returncode != 0:
    sys.exit(f"{tag}: ingest failed ({p.returncode})")
s = json.loads(out)
print(tag, anon, hwm, s["count_after"], round(s["wall_secs"], 1))
PYEOF
}

log "ingest of $SMALL docs"
small=$(peak small "$WORK/small.jsonl")
log "ingest of $LARGE docs"
large=$(peak large "$WORK/corpus.jsonl")
"$PY" - "$small" "$large" "$SMALL" "$LARGE" "$ENGINE" <<'PYEOF'
import sys
rows = [r.split() for r in sys.argv[1:3]]
n_small, n_large, engine = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
print(f"\ningest memory on {engine}, --vectors-from a 1M x 384 store (file-backed, not in RssAnon)")
print(f"{'docs':>9} {'indexed':>9} {'wall s':>7} {'peak RssAnon MiB':>17} {'peak RSS (VmHWM) MiB':>21}")
for (tag, anon, hwm, count, wall), n in zip(rows, (n_small, n_large)):
    assert int(count) == n, f"{tag}: _count {count} != {n}"
    print(f"{n:9d} {count:>9} {wall:>7} {int(anon) / 1024:17.1f} {int(hwm) / 1024:21.1f}")
ratio = int(rows[1][1]) / int(rows[0][1])
print(f"peak RssAnon {n_large // n_small}x the documents: {ratio:.2f}x the memory "
      f"(target close to 1: {'met' if ratio < 1.25 else 'NOT met'})")
PYEOF
