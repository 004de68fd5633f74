#!/usr/bin/env bash
# Benchmark (not a test): the ingest pipeline of this checkout against an earlier revision's, in
# the same command, so a refactor shows it costs nothing. Both binaries ingest SciFact's
# precomputed vectors (`ingest --vectors-from`, 5,183 docs: the pipeline without the model) into
# the same engine, alternating base/new R times after one untimed warm-up each; reported: best
# and median docs/s per side and the ratio new/base, client CPU seconds per side.
#
# Usage: bench/bench-ingest-ab.sh [--base REV] [--engine opensearch|elasticsearch] [--reps R]
#   --base REV   the revision to compare with (default HEAD~1; issue 10's refactor was measured
#                against 0e52683)
# Needs: the engine running, $SEMBRIDGE_HOME/testdata/scifact-all-MiniLM-L6-v2.sbv (built by the tests).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/common.sh"

BASE="HEAD~1"; ENGINE=opensearch; REPS=5
while [[ $# -gt 0 ]]; do
  case "$1" in
    --base) BASE="$2"; shift 2 ;;
    --engine) ENGINE="$2"; shift 2 ;;
    --reps) REPS="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
URL="$(engine_http_url "$ENGINE")"
PY="$VENV/bin/python"; [[ -x "$PY" ]] || die "no venv at $VENV (run scripts/setup.sh)"
curl -sf "$URL" >/dev/null || die "$ENGINE is not answering at $URL (scripts/engines.sh start $ENGINE)"
CORPUS="$SHARED/datasets/scifact/corpus.jsonl"
STORE="$SEMBRIDGE_HOME/testdata/scifact-all-MiniLM-L6-v2.sbv"
[[ -f "$STORE" ]] || die "no $STORE (run scripts/test.sh once)"
REV="$(git -C "$REPO_ROOT" rev-parse --short "$BASE")" || die "--base $BASE is not a revision"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/sembridge-bench-ab.XXXXXX")"
IDX="sembridge-bench-ab"
cleanup() {
  git -C "$REPO_ROOT" worktree remove --force "$WORK/src" 2>/dev/null || true
  curl -s -XDELETE "$URL/$IDX?ignore_unavailable=true" >/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The two binaries, built one after the other in the shared target folder (both checkouts build
# the same artifact names) and copied aside.
log "building base $REV (release)"
git -C "$REPO_ROOT" worktree add --quiet --detach "$WORK/src" "$REV"
(cd "$WORK/src" && touch src/lib.rs && cargo build --release --quiet --bin sembridge)
cp "$SEMBRIDGE_BIN" "$WORK/sembridge-base"
log "building this checkout (release)"
(cd "$REPO_ROOT" && touch src/lib.rs && cargo build --release --quiet --bin sembridge)
cp "$SEMBRIDGE_BIN" "$WORK/sembridge-new"
cmp -s "$WORK/sembridge-base" "$WORK/sembridge-new" && die "the two builds are the same binary (a stale build?)"
log "base $(sha256sum <"$WORK/sembridge-base" | cut -c1-12), new $(sha256sum <"$WORK/sembridge-new" | cut -c1-12)"

run() { # run SIDE N: one ingest, its JSON summary plus client CPU into $WORK/SIDE-N.json
  "$PY" - "$WORK/$1-$2.json" "$WORK/sembridge-$1" ingest --url "$URL" --corpus "$CORPUS" \
    --index "$IDX" --recreate --quiet --json --vectors-from "$STORE" \
    --checkpoint "$WORK/ckpt-$1.json" --dead-letter "$WORK/dead-$1.jsonl" <<'PYEOF'
import json, resource, subprocess, sys
r = subprocess.run(sys.argv[2:], stdout=subprocess.PIPE, check=True)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
s = json.loads(r.stdout)
assert s["count_after"] == 5183, s
s["cpu_secs"] = ru.ru_utime + ru.ru_stime
json.dump(s, open(sys.argv[1], "w"))
PYEOF
}
echo "ingest A/B on $ENGINE at $URL: base $REV vs this checkout, SciFact --vectors-from, $(nproc) cores"
run base 0; run new 0   # warm-up (a fresh engine is slow on its first documents)
for r in $(seq 1 "$REPS"); do
  log "run $r/$REPS"
  run base "$r"; run new "$r"
done
"$PY" - "$WORK" "$REPS" "$REV" <<'PYEOF'
import json, statistics, sys
work, reps, rev = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def side(name):
    runs = [json.load(open(f"{work}/{name}-{r}.json")) for r in range(1, reps + 1)]
    dps = [x["docs_per_sec"] for x in runs]
    return max(dps), statistics.median(dps), statistics.median(x["cpu_secs"] for x in runs)
b, n = side("base"), side("new")
print(f"| side | best docs/s | median docs/s | client CPU s (median) |\n|---|---:|---:|---:|")
print(f"| base {rev} | {b[0]:.0f} | {b[1]:.0f} | {b[2]:.2f} |")
print(f"| this checkout | {n[0]:.0f} | {n[1]:.0f} | {n[2]:.2f} |")
print(f"ratio new/base: best {n[0]/b[0]:.3f}, median {n[1]/b[1]:.3f}")
PYEOF
