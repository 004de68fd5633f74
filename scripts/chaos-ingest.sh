#!/usr/bin/env bash
# Chaos (not a test; it stops a real engine): ingest SciFact (vectors from the cached store) into
# one engine and stop the engine half way with scripts/engines.sh, then start it again.
#   1. ride-through: --retry-for 180; the engine is stopped for PAUSE seconds and started again;
#      the same ingest run must finish (exit 0).
#   2. give-up + resume: --retry-for 3; the engine is stopped; ingest must exit 2 with a
#      checkpoint; after the restart `--resume` must finish.
# Each phase then checks `_count` == 5183 and that the id set equals the corpus ids (no doc
# missing, none twice). The index is deleted at the end.
#
# Usage: scripts/chaos-ingest.sh [--engine opensearch|elasticsearch] [--pause 10]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ENGINE=opensearch; PAUSE=10
while [[ $# -gt 0 ]]; do
  case "$1" in
    --engine) ENGINE="$2"; shift 2 ;;
    --pause) PAUSE="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
URL=$(engine_http_url "$ENGINE")
ENGINES_SH="$REPO_ROOT/scripts/engines.sh"
DATA="$SHARED/datasets/scifact"
STORE="$SEMBRIDGE_HOME/testdata/scifact-int8.sbv"
[[ -f "$STORE" ]] || die "no $STORE (run the tests or scripts/test.sh once to build it)"
(cd "$REPO_ROOT" && cargo build --release --quiet --bin sembridge)
curl -sf "$URL" >/dev/null || die "$ENGINE is not answering at $URL (scripts/engines.sh start $ENGINE)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sembridge-chaos.XXXXXX")"
INDEX="sembridge-chaos"
trap 'curl -s -XDELETE "$URL/$INDEX" >/dev/null || true; rm -rf "$WORK"' EXIT

ingest() { # phase, extra flags...
  local phase="$1"; shift
  "$SEMBRIDGE_BIN" ingest --url "$URL" --corpus "$DATA/corpus.jsonl" --vectors-from "$STORE" \
    --index "$INDEX" --quiet --json --bulk-docs 50 --embed-chunk 50 --concurrency 2 \
    --retry-initial-ms 100 --checkpoint "$WORK/ckpt-$phase.json" --dead-letter "$WORK/dead-$phase.jsonl" "$@"
}
summary() { python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print("  summary: " + ", ".join("%s %s" % (k, s[k]) for k in ("resumed_from", "indexed", "retried", "failed", "count_after")))' "$1"; }
done_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["done"])' "$1" 2>/dev/null || echo 0; }
wait_done() { # checkpoint, at least
  for _ in $(seq 1 600); do (( $(done_of "$1") >= $2 )) && return 0; sleep 0.05; done; die "no progress"
}
check_index() {
  curl -s -XPOST "$URL/$INDEX/_refresh" >/dev/null
  python3 - "$URL" "$INDEX" "$DATA/corpus.jsonl" <<'PYEOF'
import json, sys, urllib.request
url, index, corpus = sys.argv[1:]
want = {json.loads(l)["_id"] for l in open(corpus) if l.strip()}
def post(path, body):
    req = urllib.request.Request(f"{url}/{index}/{path}", json.dumps(body).encode(), {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
count = post("_count", {"query": {"match_all": {}}})["count"]
ids, after = [], None
while True:
    body = {"size": 5000, "_source": False, "sort": [{"doc_id": "asc"}], "query": {"match_all": {}}}
    if after: body["search_after"] = after
    hits = post("_search", body)["hits"]["hits"]
    if not hits: break
    ids += [h["_id"] for h in hits]; after = hits[-1]["sort"]
missing, dup = want - set(ids), len(ids) - len(set(ids))
print(f"  _count {count}, ids {len(ids)}, missing {len(missing)}, duplicates {dup}, unexpected {len(set(ids) - want)}")
sys.exit(0 if count == len(want) == len(ids) and not missing and not dup and set(ids) == want else 1)
PYEOF
}

log "phase 1 ($ENGINE): ride through a ${PAUSE}s outage with --retry-for 180"
curl -s -XDELETE "$URL/$INDEX" >/dev/null || true
ingest ride --retry-for 180 >"$WORK/ride.json" 2>"$WORK/ride.err" &
pid=$!
wait_done "$WORK/ckpt-ride.json" 1000
log "  checkpoint at $(done_of "$WORK/ckpt-ride.json"): stopping $ENGINE"
"$ENGINES_SH" stop "$ENGINE" >/dev/null
sleep "$PAUSE"
log "  starting $ENGINE"
"$ENGINES_SH" start "$ENGINE" >/dev/null
rc=0; wait $pid || rc=$?
summary "$WORK/ride.json" \
  || { cat "$WORK/ride.err"; die "phase 1: ingest exit $rc"; }
[[ $rc == 0 ]] || die "phase 1: ingest exit $rc"
check_index || die "phase 1: documents lost or doubled"

log "phase 2 ($ENGINE): give up after --retry-for 3, then --resume"
curl -s -XDELETE "$URL/$INDEX" >/dev/null || true
ingest give --retry-for 3 >/dev/null 2>"$WORK/give.err" &
pid=$!
wait_done "$WORK/ckpt-give.json" 1000
log "  checkpoint at $(done_of "$WORK/ckpt-give.json"): stopping $ENGINE"
"$ENGINES_SH" stop "$ENGINE" >/dev/null
rc=0; wait $pid || rc=$?
log "  ingest exit $rc, checkpoint done $(done_of "$WORK/ckpt-give.json"): $(tail -n 1 "$WORK/give.err")"
[[ $rc == 2 ]] || die "phase 2: expected exit 2, got $rc"
log "  starting $ENGINE"
"$ENGINES_SH" start "$ENGINE" >/dev/null
rc=0; ingest give --retry-for 30 --resume >"$WORK/resume.json" 2>"$WORK/resume.err" || rc=$?
[[ $rc == 0 ]] || { cat "$WORK/resume.err"; die "phase 2: resume exit $rc"; }
summary "$WORK/resume.json"
check_index || die "phase 2: documents lost or doubled"
log "chaos-ingest: both phases passed, 0 documents lost"
