#!/usr/bin/env python3
"""Baseline for bench/bench-ingest.sh: bulk-index a corpus with precomputed vectors from a
sembridge vector store (SBSTORE1, see src/exact/store/mod.rs) using the official Python client's
`helpers.parallel_bulk` (opensearch-py, or elasticsearch-py with --engine elasticsearch).

The documents are the ones sembridge sends (`_id` = corpus id; doc_id, title, text, embedding,
metadata when non-empty), the index gets the mapping and shard/replica settings copied from the
index sembridge created (--like), and the index is refreshed at the end, as sembridge does.
Prints one JSON object: docs/s over the same span sembridge's `wall_secs` covers (read the corpus
and the store, create the index, bulk, refresh, count).

With --prebuilt it measures the engine's ceiling instead: every bulk body is serialized before
the clock starts (vectors in the shortest float32 form, as sembridge writes them), then plain
http.client connections, one per thread, POST them; the client's cost is then close to nothing.

usage: bench_ingest_python.py --url URL --engine opensearch|elasticsearch --corpus corpus.jsonl
         --store STORE --like SEMBRIDGE_INDEX --index NEW_INDEX [--chunk-size 500] [--threads 4]
         [--limit N] [--prebuilt]
"""
import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from sbstore import read_store


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--engine", choices=["opensearch", "elasticsearch"], default="opensearch")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--store", required=True)
    ap.add_argument("--like", required=True, help="index whose mapping and settings to copy")
    ap.add_argument("--index", required=True)
    ap.add_argument("--chunk-size", type=int, default=500)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--prebuilt", action="store_true", help="engine ceiling: bodies built before the clock")
    a = ap.parse_args()

    if a.engine == "opensearch":
        from opensearchpy import OpenSearch, helpers

        client = OpenSearch(hosts=[a.url], pool_maxsize=a.threads + 1, timeout=300)
    else:
        from elasticsearch import Elasticsearch, helpers

        client = Elasticsearch(a.url, connections_per_node=a.threads + 1, request_timeout=300)

    like_map = client.indices.get_mapping(index=a.like)[a.like]["mappings"]
    like_set = client.indices.get_settings(index=a.like)[a.like]["settings"]["index"]
    settings = {
        "number_of_shards": int(like_set.get("number_of_shards", 1)),
        "number_of_replicas": int(like_set.get("number_of_replicas", 0)),
    }
    if a.engine == "opensearch":
        settings["knn"] = str(like_set.get("knn", "true")).lower() == "true"
    if client.indices.exists(index=a.index):
        client.indices.delete(index=a.index)

    started = time.perf_counter()
    ids, matrix, _flags = read_store(a.store)
    row = {d: i for i, d in enumerate(ids)}

    def actions():
        with open(a.corpus, encoding="utf-8") as f:
            for n, line in enumerate(f):
                if a.limit is not None and n >= a.limit:
                    return
                doc = json.loads(line)
                did = str(doc["_id"])
                source = {
                    "doc_id": did,
                    "title": doc.get("title", ""),
                    "text": doc.get("text", ""),
                    "embedding": matrix[row[did]].tolist(),
                }
                if doc.get("metadata"):
                    source["metadata"] = doc["metadata"]
                yield {"_index": a.index, "_id": did, "_source": source}

    bodies = []
    if a.prebuilt:
        bodies = prebuild(actions(), a.chunk_size)
        started = time.perf_counter()

    if a.engine == "opensearch":
        client.indices.create(index=a.index, body={"settings": {"index": settings}, "mappings": like_map})
    else:
        client.indices.create(index=a.index, settings=settings, mappings=like_map)
    created = time.perf_counter()
    ok = failed = 0
    if a.prebuilt:
        ok, failed = post_all(a.url, bodies, a.threads)
    else:
        for success, _info in helpers.parallel_bulk(
            client, actions(), chunk_size=a.chunk_size, thread_count=a.threads, queue_size=a.threads,
            max_chunk_bytes=8 << 20, raise_on_error=False,
        ):
            if success:
                ok += 1
            else:
                failed += 1
    bulk_done = time.perf_counter()
    client.indices.refresh(index=a.index)
    count = client.count(index=a.index)["count"]
    wall = time.perf_counter() - started
    print(json.dumps({
        "client": "prebuilt-http" if a.prebuilt else "opensearch-py" if a.engine == "opensearch" else "elasticsearch-py",
        "indexed": ok, "failed": failed, "count_after": count,
        "wall_secs": wall, "bulk_secs": bulk_done - created, "docs_per_sec": (ok + failed) / wall,
        "chunk_size": a.chunk_size, "thread_count": a.threads,
    }))


def prebuild(actions, chunk_size):
    """NDJSON bulk bodies of chunk_size documents each, vectors as shortest float32 text."""
    bodies, lines = [], []
    for act in actions:
        src = dict(act["_source"])
        vec = src.pop("embedding")
        head = json.dumps(src)[:-1]
        floats = ",".join(str(x) for x in np.asarray(vec, dtype=np.float32))
        lines.append(json.dumps({"index": {"_index": act["_index"], "_id": act["_id"]}}))
        lines.append(f'{head}, "embedding": [{floats}]}}')
        if len(lines) == 2 * chunk_size:
            bodies.append(("\n".join(lines) + "\n").encode())
            lines = []
    if lines:
        bodies.append(("\n".join(lines) + "\n").encode())
    return bodies


def post_all(url, bodies, threads):
    """POST every body to /_bulk with `threads` keep-alive connections; (ok, failed) items."""
    u = urllib.parse.urlsplit(url)
    conns = {}

    def post(body):
        conn = conns.setdefault(threading.get_ident(), http.client.HTTPConnection(u.hostname, u.port))
        conn.request("POST", "/_bulk", body=body, headers={"Content-Type": "application/x-ndjson"})
        resp = json.loads(conn.getresponse().read())
        bad = sum(1 for it in resp["items"] if next(iter(it.values()))["status"] >= 300)
        return len(resp["items"]) - bad, bad

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(post, bodies))
    return sum(r[0] for r in results), sum(r[1] for r in results)


if __name__ == "__main__":
    main()
