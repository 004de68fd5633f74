# shellcheck shell=bash
# What bench/bench-query.sh and bench/load-query.sh share; sourced after common.sh, not run.
# Both build an example, index SciFact from the precomputed vectors (`ingest --vectors-from`) into
# $INDEX on each engine asked for, run the example against it, and delete the index at exit
# (unless KEEP=1).

DATA="$SHARED/datasets/scifact"
STORE="$SEMBRIDGE_HOME/testdata/scifact-int8.sbv"
KEEP=0
URLS=()

# query_bench_setup EXAMPLE: builds the sembridge binary and the example EXAMPLE (bench/EXAMPLE.rs, release) and sets
# BIN to the example; embeds SciFact into $STORE if it is missing; makes WORK, a scratch folder
# removed at exit with the indexes.
query_bench_setup() {
  log "building sembridge and the $1 example (release)"
  (cd "$REPO_ROOT" && cargo build --release --quiet --bin sembridge --example "$1")
  BIN="$CARGO_TARGET_DIR/release/examples/$1"
  if [[ ! -f "$STORE" ]]; then
    log "no $STORE: embedding SciFact once (about 5 minutes on 2 cores)"
    mkdir -p "$(dirname "$STORE")"
    "$SEMBRIDGE_BIN" embed --input "$DATA/corpus.jsonl" --output "$STORE"
  fi
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/sembridge-$(basename "$0" .sh).XXXXXX")"
  trap query_bench_cleanup EXIT
}

query_bench_cleanup() {
  if [[ $KEEP == 0 ]]; then for u in "${URLS[@]}"; do curl -s -XDELETE "$u/$INDEX" >/dev/null || true; done; fi
  rm -rf "$WORK"
}

# index_scifact ENGINE: sets URL to ENGINE's (opensearch or elasticsearch), checks that it answers
# and indexes SciFact into $INDEX there (recreated).
index_scifact() {
  case "$1" in
    opensearch | elasticsearch) URL="$(engine_http_url "$1")" ;;
    *) die "--engine must be opensearch, elasticsearch or both" ;;
  esac
  curl -sf "$URL" >/dev/null || die "$1 is not answering at $URL (scripts/engines.sh start $1)"
  URLS+=("$URL")
  log "$1: indexing SciFact from $STORE into $INDEX"
  "$SEMBRIDGE_BIN" ingest --url "$URL" --corpus "$DATA/corpus.jsonl" --vectors-from "$STORE" \
    --index "$INDEX" --recreate --quiet --checkpoint "$WORK/ckpt-$1.json" --dead-letter "$WORK/dead-$1.jsonl"
}

# start_serve ENGINE [FLAGS...]: starts `sembridge serve` on $INDEX at $URL on a free loopback
# port, waits until it listens, sets SERVE (its URL) and SERVE_PID; stop_serve sends SIGTERM and
# waits. Callers add stop_serve to their EXIT trap.
SERVE_PID=""
start_serve() {
  local e="$1"; shift
  "$SEMBRIDGE_BIN" serve --url "$URL" --index "$INDEX" --bind 127.0.0.1:0 "$@" \
    >"$WORK/serve-$e.out" 2>"$WORK/serve-$e.err" &
  SERVE_PID=$!
  for _ in $(seq 1 600); do grep -q 'listening on' "$WORK/serve-$e.out" && break; sleep 0.1; done
  SERVE="$(grep -o 'http://[0-9.:]*' "$WORK/serve-$e.out")" || die "serve did not start: $(cat "$WORK/serve-$e.err")"
}
stop_serve() {
  if [[ -n $SERVE_PID ]]; then kill -TERM "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" || true; SERVE_PID=""; fi
}
