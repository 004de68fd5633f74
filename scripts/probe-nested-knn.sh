#!/usr/bin/env bash
# Probe (not a test): do the running engines do what a nested-passages layout needs? One document
# per parent, passages as a nested array of {vector, start, end}; a k-NN query on the nested
# vector must answer k parents (not k passages), score a parent by its best passage, pre-filter on
# a parent field, and name the best passage through inner_hits. Three documents: `a` (best
# passage [1,0]), `b` (the closest passage of all, but tag y), `c` (two passages, one close).
# Expected, with filter tag=x and k=2: a then c, each with the offsets of its best passage.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
DOCS=$'{"index":{"_id":"a"}}\n{"tag":"x","passages":[{"vector":[1,0],"start":0,"end":5},{"vector":[0,1],"start":5,"end":9}]}\n{"index":{"_id":"b"}}\n{"tag":"y","passages":[{"vector":[0.999,0.001],"start":0,"end":3}]}\n{"index":{"_id":"c"}}\n{"tag":"x","passages":[{"vector":[0.2,0.8],"start":0,"end":3},{"vector":[0.95,0.05],"start":3,"end":6}]}\n'
SHOW='[.hits.hits[]|{id:._id,score:._score,best:(.inner_hits.passages.hits.hits[0]|{offset:._nested.offset,start:._source.start,end:._source.end})}]'
probe() { # name url mapping query
  local i="sbt-probe-nested-$1"
  curl -s -XDELETE "$2/$i" >/dev/null
  curl -sf -XPUT "$2/$i" -H 'content-type: application/json' -d "$3" >/dev/null
  curl -sf -XPOST "$2/$i/_bulk?refresh=true" -H 'content-type: application/x-ndjson' --data-binary "$DOCS" >/dev/null
  echo "$1 $(curl -s "$2" | jq -r .version.number): $(curl -s "$2/$i/_search" -H 'content-type: application/json' -d "$4" | jq -c "$SHOW")"
  curl -s -XDELETE "$2/$i" >/dev/null
}
probe opensearch "$(engine_http_url opensearch)" \
  '{"settings":{"index":{"knn":true}},"mappings":{"properties":{"tag":{"type":"keyword"},"passages":{"type":"nested","properties":{"vector":{"type":"knn_vector","dimension":2,"method":{"name":"hnsw","engine":"lucene","space_type":"cosinesimil"}},"start":{"type":"integer"},"end":{"type":"integer"}}}}}}' \
  '{"size":2,"_source":false,"query":{"nested":{"path":"passages","score_mode":"max","query":{"knn":{"passages.vector":{"vector":[1,0],"k":2,"expand_nested_docs":true,"filter":{"term":{"tag":"x"}}}}},"inner_hits":{"size":1,"_source":["passages.start","passages.end"]}}}}'
probe elasticsearch "$(engine_http_url elasticsearch)" \
  '{"mappings":{"properties":{"tag":{"type":"keyword"},"passages":{"type":"nested","properties":{"vector":{"type":"dense_vector","dims":2,"index":true,"similarity":"cosine","index_options":{"type":"hnsw"}},"start":{"type":"integer"},"end":{"type":"integer"}}}}}}' \
  '{"size":2,"_source":false,"knn":{"field":"passages.vector","query_vector":[1,0],"k":2,"num_candidates":10,"filter":{"term":{"tag":"x"}},"inner_hits":{"size":1,"_source":["passages.start","passages.end"]}}}'
