# Benchmark (not a test, #14): how the passages of a long document should live in the engines — (A) nested, one doc per parent; (B) flat, one doc per passage + collapse on `parent`.
# Measures per engine and layout, from one passage store: ingest s, index MiB, doc-level nDCG@10 / recall@100, distinct parents per k-NN answer, ANN recall vs exact MaxP, unfiltered and under a 10% parent filter.
# Run: scripts/bench-chunk-layouts.sh (embeds the queries, then runs this with the venv python; --help for the options).
"""Chunk layouts benchmark: nested passages (A) vs one engine document per passage + collapse (B).

The exact reference is MaxP over the store (a parent scores as its best passage's cosine), computed
here with numpy; it must match `sembridge exact --json` (0.6560 / 0.9333 on scifact-int8-c256-o64).
Metrics follow trec_eval: nDCG@10 with gain = relevance, discount log2(rank + 1), ideal from the
qrels; recall@100 = judged-relevant parents retrieved in the top 100 / judged-relevant parents.
"""
import argparse
import datetime
import json
import os
import struct
import sys
import time
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sbstore import read_store  # noqa: E402

PREFIX = "bench-layout-"
HNSW = {"m": 16, "ef_construction": 100}


def log(msg):
    print(f"[layouts {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def store_meta(path):
    with open(path, "rb") as f:
        header = f.read(64)
        meta_off, meta_len = struct.unpack("<8sIIQQQQQQ", header)[7:9]
        f.seek(meta_off)
        return json.loads(f.read(meta_len))


# ---------------------------------------------------------------- metrics (trec_eval's way)

def read_qrels(path):
    qrels = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3 or parts[0] == "query-id":
                continue
            q, d, r = (parts[0], parts[2], parts[3]) if len(parts) == 4 else parts
            qrels.setdefault(q, {})[d] = int(r)
    return qrels


def ndcg10(ranked, rels):
    dcg = sum(rels.get(d, 0) / np.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sorted((r for r in rels.values() if r > 0), reverse=True)[:10]
    idcg = sum(r / np.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall100(ranked, rels):
    relevant = {d for d, r in rels.items() if r > 0}
    return len(relevant.intersection(ranked[:100])) / len(relevant) if relevant else 0.0


def dedup(seq):
    seen, out = set(), []
    for x in seq:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


# ---------------------------------------------------------------- data

class Data:
    def __init__(self, store, qstore, qrels_path, corpus, bucket_mod):
        ids, matrix, _flags = read_store(store)
        self.vectors = np.array(matrix, dtype=np.float32)
        self.dims = self.vectors.shape[1]
        meta = store_meta(store)
        self.offsets = meta.get("passages")
        if self.offsets is None or len(self.offsets) != len(ids):
            sys.exit(f"{store}: no per-row `passages` offsets in the store's meta")
        # Rows are `PARENT#I`, a parent's rows contiguous (checked).
        self.parents, self.starts, self.passage_no = [], [], []
        for row, rid in enumerate(ids):
            parent, _, no = rid.rpartition("#")
            self.passage_no.append(int(no))
            if not self.parents or self.parents[-1] != parent:
                self.parents.append(parent)
                self.starts.append(row)
        if len(set(self.parents)) != len(self.parents):
            sys.exit(f"{store}: a parent's rows are not contiguous")
        self.starts = np.array(self.starts)
        self.ends = np.append(self.starts[1:], len(ids))
        self.pindex = {p: i for i, p in enumerate(self.parents)}
        self.bucket = np.array([zlib.crc32(p.encode()) % bucket_mod for p in self.parents])
        self.docs = {}
        with open(corpus) as f:
            for line in f:
                d = json.loads(line)
                if d["_id"] in self.pindex:
                    self.docs[d["_id"]] = (d.get("title", ""), d.get("text", ""))
        qrels = read_qrels(qrels_path)
        qids, qmatrix, _ = read_store(qstore)
        qrow = {q: i for i, q in enumerate(qids)}
        missing = [q for q in qrels if q not in qrow]
        if missing:
            sys.exit(f"{qstore}: {len(missing)} judged queries have no vector (e.g. {missing[:3]})")
        self.qids = list(qrels)
        self.qrels = qrels
        q = np.array(qmatrix, dtype=np.float32)[[qrow[x] for x in self.qids]]
        self.queries = q / np.linalg.norm(q, axis=1, keepdims=True)
        # Exact MaxP: passage cosines (store rows are unit vectors), max per parent.
        self.passage_scores = self.queries @ self.vectors.T
        self.parent_scores = np.maximum.reduceat(self.passage_scores, self.starts, axis=1)

    def exact_top(self, qi, k, bucket=None):
        s = self.parent_scores[qi]
        if bucket is not None:
            s = np.where(self.bucket == bucket, s, -np.inf)
            k = min(k, int((self.bucket == bucket).sum()))
        order = np.argsort(-s, kind="stable")[:k]
        return [self.parents[j] for j in order]

    def best_passage(self, qi, parent):
        """(passage number, start, end) of the parent's best passage for query qi."""
        p = self.pindex[parent]
        row = self.starts[p] + int(np.argmax(self.passage_scores[qi, self.starts[p]:self.ends[p]]))
        return self.passage_no[row], self.offsets[row][0], self.offsets[row][1]

    def nested_actions(self, index):
        for p, parent in enumerate(self.parents):
            title, text = self.docs.get(parent, ("", ""))
            rows = range(self.starts[p], self.ends[p])
            yield {"_index": index, "_id": parent, "_source": {
                "title": title, "text": text, "bucket": str(self.bucket[p]),
                "passages": [{"vector": self.vectors[r].tolist(), "start": self.offsets[r][0],
                              "end": self.offsets[r][1]} for r in rows]}}

    def flat_actions(self, index):
        for p, parent in enumerate(self.parents):
            title, text = self.docs.get(parent, ("", ""))
            for r in range(self.starts[p], self.ends[p]):
                s, e = self.offsets[r]
                yield {"_index": index, "_id": f"{parent}#{self.passage_no[r]}", "_source": {
                    "parent": parent, "bucket": str(self.bucket[p]), "title": title,
                    "text": text[s:e], "start": s, "end": e, "vector": self.vectors[r].tolist()}}


# ---------------------------------------------------------------- engines

def vector_mapping(engine, dims):
    if engine == "opensearch":
        return {"type": "knn_vector", "dimension": dims, "method": {
            "name": "hnsw", "engine": "lucene", "space_type": "cosinesimil", "parameters": HNSW}}
    return {"type": "dense_vector", "dims": dims, "index": True, "similarity": "cosine",
            "index_options": {"type": "hnsw", **HNSW}}


def index_body(engine, layout, dims):
    settings = {"number_of_shards": 1, "number_of_replicas": 0}
    if engine == "opensearch":
        settings["knn"] = True
    vec = vector_mapping(engine, dims)
    props = {"title": {"type": "text"}, "text": {"type": "text"}, "bucket": {"type": "keyword"}}
    if layout == "A":
        props["passages"] = {"type": "nested", "properties": {
            "vector": vec, "start": {"type": "integer"}, "end": {"type": "integer"}}}
    else:
        props.update({"parent": {"type": "keyword"}, "start": {"type": "integer"},
                      "end": {"type": "integer"}, "vector": vec})
    return {"settings": {"index": settings}, "mappings": {"properties": props}}


def query_body(engine, layout, q, k, num_candidates, size, bucket, expand=True):
    flt = {"term": {"bucket": str(bucket)}} if bucket is not None else None
    if engine == "elasticsearch":
        knn = {"field": "passages.vector" if layout == "A" else "vector", "query_vector": q,
               "k": k, "num_candidates": num_candidates}
        if flt:
            knn["filter"] = flt
        body = {"size": size, "_source": False, "knn": knn}
        if layout == "A":
            knn["inner_hits"] = {"size": 1, "_source": ["passages.start", "passages.end"]}
        else:
            body["collapse"] = {"field": "parent"}
        return body
    if layout == "A":
        inner = {"vector": q, "k": k}
        if expand:
            inner["expand_nested_docs"] = True
        if flt:
            inner["filter"] = flt
        return {"size": size, "_source": False, "query": {"nested": {
            "path": "passages", "score_mode": "max", "query": {"knn": {"passages.vector": inner}},
            "inner_hits": {"size": 1, "_source": ["passages.start", "passages.end"]}}}}
    inner = {"vector": q, "k": k}
    if flt:
        inner["filter"] = flt
    return {"size": size, "_source": False, "query": {"knn": {"vector": inner}},
            "collapse": {"field": "parent"}}


def client(engine, url):
    if engine == "opensearch":
        from opensearchpy import OpenSearch, helpers
        return OpenSearch(hosts=[url], timeout=600), helpers
    from elasticsearch import Elasticsearch, helpers
    return Elasticsearch(url, request_timeout=600), helpers


def raw(c, method, path, body=None):
    """One request through the client's transport, JSON answer (both clients, same call)."""
    if hasattr(c.transport, "perform_request") and c.__class__.__module__.startswith("opensearchpy"):
        return c.transport.perform_request(method, path, body=body)
    return c.perform_request(method, path, body=body,
                             headers={"accept": "application/json", "content-type": "application/json"}
                             if body is not None else {"accept": "application/json"}).body


def hit_parent(layout, hit):
    return hit["_id"] if layout == "A" else hit["_id"].rpartition("#")[0]


def inner_hit(hit):
    try:
        ih = hit["inner_hits"]["passages"]["hits"]["hits"][0]
    except (KeyError, IndexError, TypeError):
        return None
    src = ih.get("_source") or {}
    src = src.get("passages", src) if isinstance(src, dict) else {}
    return ih.get("_nested", {}).get("offset"), src.get("start"), src.get("end")


# ---------------------------------------------------------------- one engine x layout

def run_layout(engine, url, layout, data, args, notes):
    c, helpers = client(engine, url)
    index = f"{PREFIX}{engine}-{layout.lower()}"
    raw(c, "DELETE", f"/{index}") if c.indices.exists(index=index) else None
    body = index_body(engine, layout, data.dims)
    c.indices.create(index=index, body=body)
    try:
        settings = raw(c, "GET", f"/{index}/_settings?include_defaults=true&flat_settings=true")
        flat = {**settings[index].get("defaults", {}), **settings[index].get("settings", {})}
        keep = {k: v for k, v in flat.items() if any(
            w in k for w in ("derived_source", "source_vectors", "ef_search", "knn.memory", "synthetic"))}
        notes.setdefault("settings", {})[f"{engine} {layout}"] = keep
        actions = list((data.nested_actions if layout == "A" else data.flat_actions)(index))
        log(f"{engine} {layout}: ingesting {len(actions)} documents ({len(data.vectors)} vectors)")
        t0 = time.perf_counter()
        ok, errors = helpers.bulk(c, actions, chunk_size=args.batch, max_chunk_bytes=512 * 1024 * 1024,
                                  raise_on_error=False)
        c.indices.refresh(index=index)
        ingest_s = time.perf_counter() - t0
        if errors:
            notes.setdefault("errors", []).append(f"{engine} {layout} bulk: {len(errors)} failed, first: {json.dumps(errors[0])[:600]}")
        del actions
        log(f"{engine} {layout}: ingested in {ingest_s:.1f}s; force-merging")
        t0 = time.perf_counter()
        raw(c, "POST", f"/{index}/_forcemerge?max_num_segments=1")
        c.indices.refresh(index=index)
        merge_s = time.perf_counter() - t0
        stats = raw(c, "GET", f"/{index}/_stats/store,segments")
        size = stats["indices"][index]["primaries"]["store"]["size_in_bytes"]
        segments = stats["indices"][index]["primaries"]["segments"]["count"]
        cat = raw(c, "GET", f"/_cat/indices/{index}?format=json&h=docs.count")
        count = raw(c, "GET", f"/{index}/_count")["count"]
        row = {"engine": engine, "layout": layout, "vectors": len(data.vectors),
               "count": count, "cat_docs": int(cat[0]["docs.count"]), "ingest_s": ingest_s,
               "merge_s": merge_s, "mib": size / 2**20, "segments": segments}
        if layout == "B":
            configs = [(k, None) for k in [args.k] + args.flat_k]
        elif engine == "opensearch":
            configs = [(args.k, True)] + ([(args.k, False)] if args.os_no_expand else [])
        else:
            configs = [(args.k, None)]
        out = []
        for k, expand in configs:
            r = dict(row, k=k, expand=expand, num_candidates=args.nc_factor * k if engine == "elasticsearch" else None)
            r.update(run_queries(c, engine, index, layout, k, expand, data, args, notes))
            out.append(r)
        return out
    finally:
        if not args.keep:
            raw(c, "DELETE", f"/{index}")


def run_queries(c, engine, index, layout, k, expand, data, args, notes):
    res = {}
    for name, bucket in (("all", None), ("filtered", args.bucket)):
        ndcg, rec, nparents, ann, full, off, ih_ok, ih_n, lat = [], [], [], [], 0, 0, 0, 0, []
        err = None
        for qi, qid in enumerate(data.qids):
            body = query_body(engine, layout, data.queries[qi].tolist(), k, args.nc_factor * k,
                              args.size, bucket, expand is not False)
            t0 = time.perf_counter()
            try:
                ans = c.search(index=index, body=body)
            except Exception as e:  # the exact error text goes to the report
                err = f"{engine} {layout} k={k}{label(expand)} {name}: {type(e).__name__}: {str(e)[:800]}"
                break
            lat.append(time.perf_counter() - t0)
            hits = ans["hits"]["hits"]
            ranked = dedup(hit_parent(layout, h) for h in hits)
            nparents.append(len(ranked))
            exact = data.exact_top(qi, args.size, bucket)
            ann.append(len(set(exact).intersection(ranked[:args.size])) / len(exact))
            if bucket is None:
                ndcg.append(ndcg10(ranked, data.qrels[qid]))
                rec.append(recall100(ranked, data.qrels[qid]))
            else:
                off += sum(1 for p in ranked if data.bucket[data.pindex[p]] != bucket)
                full += len(ranked) == len(exact)
            if layout == "A":
                for h in hits:
                    got = inner_hit(h)
                    no, s, e = data.best_passage(qi, h["_id"])
                    ih_n += 1
                    # the nested offset is the passage's place in the array = its number in the store
                    ih_ok += got is not None and (got[0] == no if got[0] is not None else (got[1], got[2]) == (s, e)) \
                        and (got[1] is None or (got[1], got[2]) == (s, e))
        if err:
            notes.setdefault("errors", []).append(err)
            log(err)
            res[name] = {"error": err}
            continue
        r = {"mean_parents": float(np.mean(nparents)), "min_parents": int(np.min(nparents)),
             "ann_recall": float(np.mean(ann)), "query_ms": 1000 * float(np.mean(lat))}
        if bucket is None:
            r.update(ndcg10=float(np.mean(ndcg)), recall100=float(np.mean(rec)))
        else:
            r.update(full_queries=full, off_filter=off)
        if ih_n:
            r.update(inner_hits_best=ih_ok / ih_n)
        res[name] = r
        log(f"{engine} {layout} k={k}{label(expand)} {name}: {json.dumps(r)}")
    return res


# ---------------------------------------------------------------- report

def label(expand):
    return {True: ", expand_nested_docs", False: ", no expand_nested_docs"}.get(expand, "")


def fmt(x, nd=4):
    return "–" if x is None else f"{x:.{nd}f}"


def table(rows, exact, data, args):
    """One line per engine x layout x k; with --repeat N the cells are the mean over the N runs,
    followed by [min–max] where the runs differ (HNSW graphs are not built deterministically)."""
    lines = ["| engine | layout | vectors | engine docs (_count / docs.count) | ingest s | index MiB | nDCG@10 | recall@100 "
             "| mean parents returned (min) | ANN recall@100 vs exact | filtered: mean parents (min) | filtered: queries with "
             "min(100, matching) parents / off-filter hits | filtered ANN recall@100 | inner_hits = best passage (unfiltered / filtered) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lines.append(f"| exact (numpy) | MaxP | {len(data.vectors)} | – | – | – | {exact['ndcg10']:.4f} | {exact['recall100']:.4f} "
                 f"| {args.size:.1f} ({args.size}) | 1.0000 | {exact['filtered_mean']:.1f} ({int(exact['filtered_mean'])}) "
                 f"| {len(data.qids)}/{len(data.qids)}, 0 | 1.0000 | – |")
    groups = {}
    for r in rows:
        groups.setdefault((r["engine"], r["layout"], r["k"], r.get("expand")), []).append(r)

    def cell(rs, get, nd):
        vals = [get(r) for r in rs]
        if any(v is None for v in vals):
            return "error (see notes)"
        mean, lo, hi = float(np.mean(vals)), min(vals), max(vals)
        out = f"{mean:.{nd}f}"
        if f"{lo:.{nd}f}" != f"{hi:.{nd}f}":
            out += f" [{lo:.{nd}f}–{hi:.{nd}f}]"
        return out

    def get(part, key):
        return lambda r: r.get(part, {}).get(key)

    for (engine, layout, k, expand), rs in groups.items():
        r0 = rs[0]
        lay = ("A nested" if layout == "A" else "B flat + collapse") + f", k={k}" + label(expand)
        if r0["num_candidates"]:
            lay += f", num_candidates={r0['num_candidates']}"
        cells = [engine, lay, str(r0["vectors"]), " ; ".join(sorted({f"{r['count']} / {r['cat_docs']}" for r in rs})),
                 cell(rs, lambda r: r["ingest_s"], 1), cell(rs, lambda r: r["mib"], 1),
                 cell(rs, get("all", "ndcg10"), 4), cell(rs, get("all", "recall100"), 4),
                 cell(rs, get("all", "mean_parents"), 1) + f" ({min(r['all'].get('min_parents', -1) for r in rs)})",
                 cell(rs, get("all", "ann_recall"), 4),
                 cell(rs, get("filtered", "mean_parents"), 1) + f" ({min(r['filtered'].get('min_parents', -1) for r in rs)})",
                 " ; ".join(sorted({f"{r['filtered'].get('full_queries', '?')}/{len(data.qids)}, {r['filtered'].get('off_filter', '?')}"
                                    for r in rs})),
                 cell(rs, get("filtered", "ann_recall"), 4)]
        if layout == "A":
            cells.append(cell(rs, get("all", "inner_hits_best"), 4) + " / " + cell(rs, get("filtered", "inner_hits_best"), 4))
        else:
            cells.append("–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", required=True, help="passage store (rows PARENT#I, meta `passages` offsets)")
    ap.add_argument("--query-store", required=True, help="query vectors (sembridge embed --queries)")
    ap.add_argument("--qrels", required=True)
    ap.add_argument("--corpus", required=True, help="corpus.jsonl (title and text for the BM25 fields)")
    ap.add_argument("--os-url", default="http://127.0.0.1:9200")
    ap.add_argument("--es-url", default="http://127.0.0.1:9201")
    ap.add_argument("--engines", default="opensearch,elasticsearch")
    ap.add_argument("--layouts", default="A,B", help="A (nested), B (flat + collapse) or both")
    ap.add_argument("--batch", type=int, default=500, help="bulk helper chunk_size (actions), every layout")
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--flat-k", type=int, nargs="*", default=[300], help="extra k (passages) for layout B")
    ap.add_argument("--nc-factor", type=int, default=2, help="Elasticsearch num_candidates = this x k")
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--bucket-mod", type=int, default=10)
    ap.add_argument("--bucket", type=int, default=0, help="filter: bucket == this (crc32(parent) %% mod)")
    ap.add_argument("--expect", default=None, help="ndcg10,recall100 the exact MaxP must reproduce")
    ap.add_argument("--doc", default=None, help="write the report (markdown) here")
    ap.add_argument("--command", default=None, help="the command line to print in the report")
    ap.add_argument("--os-no-expand", action="store_true",
                    help="also run OpenSearch layout A without expand_nested_docs (one more row)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of every engine x layout (fresh index each); the table shows mean [min–max]")
    ap.add_argument("--json", default=None, help="also write every run's numbers here")
    ap.add_argument("--keep", action="store_true", help="keep the indexes")
    args = ap.parse_args()

    log(f"loading {args.store}")
    data = Data(args.store, args.query_store, args.qrels, args.corpus, args.bucket_mod)
    exact = {"ndcg10": float(np.mean([ndcg10(data.exact_top(i, 100), data.qrels[q]) for i, q in enumerate(data.qids)])),
             "recall100": float(np.mean([recall100(data.exact_top(i, 100), data.qrels[q]) for i, q in enumerate(data.qids)]))}
    nmatch = int((data.bucket == args.bucket).sum())
    # Relevant parents just below the exact top 100: an ANN answer that drops some exact top-100
    # parents can take them in, so an engine's recall@100 can exceed the exact one.
    near = []
    for i, q in enumerate(data.qids):
        top = data.exact_top(i, 110)
        for rank in range(100, len(top)):
            if data.qrels[q].get(top[rank], 0) > 0:
                gap = data.parent_scores[i][data.pindex[top[99]]] - data.parent_scores[i][data.pindex[top[rank]]]
                near.append(f"query {q} at exact rank {rank + 1} (cosine {gap:.4f} below rank 100)")
    exact["near"] = near
    exact["filtered_mean"] = float(min(args.size, nmatch))
    log(f"exact MaxP: nDCG@10 {exact['ndcg10']:.4f} recall@100 {exact['recall100']:.4f}; "
        f"{len(data.parents)} parents, {len(data.vectors)} passages, filter keeps {nmatch} parents")
    if args.expect:
        want = [float(x) for x in args.expect.split(",")]
        if abs(round(exact["ndcg10"], 4) - want[0]) > 1e-9 or abs(round(exact["recall100"], 4) - want[1]) > 1e-9:
            sys.exit(f"exact MaxP {exact['ndcg10']:.4f}/{exact['recall100']:.4f} does not reproduce {args.expect}")

    urls = {"opensearch": args.os_url, "elasticsearch": args.es_url}
    rows, notes, versions = [], {}, {}
    for rep in range(args.repeat):
        for engine in filter(None, args.engines.split(",")):
            c, _ = client(engine, urls[engine])
            info = raw(c, "GET", "/")
            versions[engine] = f"{info['version'].get('distribution', 'elasticsearch')} {info['version']['number']} (Lucene {info['version']['lucene_version']})"
            for layout in args.layouts.split(","):
                log(f"run {rep + 1}/{args.repeat}: {engine} {layout}")
                try:
                    rows += [dict(r, run=rep + 1) for r in run_layout(engine, urls[engine], layout, data, args, notes)]
                except Exception as e:
                    msg = f"run {rep + 1} {engine} {layout}: {type(e).__name__}: {str(e)[:800]}"
                    log(msg)
                    notes.setdefault("errors", []).append(msg)

    md = table(rows, exact, data, args)
    print(md)
    if args.doc:
        write_doc(args, md, rows, notes, versions, data, nmatch, exact)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "notes": notes, "versions": versions, "exact": exact}, f, indent=1, default=str)


def write_doc(args, md, rows, notes, versions, data, nmatch, exact):
    store = os.path.basename(args.store)
    meta = store_meta(args.store).get("chunking", {})
    groups = {}
    for r in rows:
        if "query_ms" in r.get("all", {}) and "query_ms" in r.get("filtered", {}):
            groups.setdefault(f"{r['engine']} {r['layout']} k={r['k']}{label(r.get('expand'))}", []).append(r)
    lat = "\n".join(f"- {name}: {np.mean([r['all']['query_ms'] for r in rs]):.1f} / "
                    f"{np.mean([r['filtered']['query_ms'] for r in rs]):.1f} ms; force-merge {np.mean([r['merge_s'] for r in rs]):.1f} s"
                    for name, rs in groups.items())
    settings = "\n".join(f"- {k}: `{json.dumps(v, sort_keys=True)}`" for k, v in notes.get("settings", {}).items())
    errors = "\n".join(f"- `{e}`" for e in notes.get("errors", [])) or "- none"
    no_expand = " (OpenSearch A also without `expand_nested_docs`: one more row, same index)" if args.os_no_expand else ""
    text = f"""# Chunk layouts: nested passages vs one document per passage (#14)

Generated by `scripts/bench-chunk-layouts.py` on {datetime.date.today().isoformat()}; engines {", ".join(versions.values())}.

Command: `{args.command or " ".join(sys.argv)}`

Runs: {args.repeat} (every engine x layout ingested into a fresh index each run, one ingest at a time); a cell is the mean
over the runs, with [min–max] where they differ: HNSW graphs are not built deterministically, so ANN numbers move a
little from run to run.

What was measured. The passage store `{store}` ({len(data.vectors)} passages of {meta.get("tokens", "?")} tokens with
{meta.get("overlap", "?")} overlap, {len(data.parents)} SciFact documents, 384-dim int8 all-MiniLM-L6-v2, unit vectors) was
ingested into each engine in two layouts: **A nested** (one engine document per SciFact document, title/text/bucket on it,
passages as a nested array `passages: [{{vector, start, end}}]`) and **B flat** (one engine document per passage, `_id` =
`PARENT#I`, `parent`, `bucket` and `title` copied to every passage, `text` = the passage's slice of the text, `collapse`
on `parent` at query time). Same mapping knobs everywhere: 1 shard, 0 replicas, HNSW m=16 ef_construction=100, cosine
(OpenSearch `knn_vector` engine `lucene` `cosinesimil`; Elasticsearch `dense_vector` `index_options.type: hnsw`, i.e. float
vectors, not the default quantization). Ingest: the official Python client's `helpers.bulk`, chunk_size={args.batch} actions
for every layout (a nested action carries all passages of a document), timed from the first bulk request to the end of
the refresh; then `_forcemerge?max_num_segments=1` and the primaries' store size. Queries: the {len(data.qids)} SciFact test
queries (vectors from `sembridge embed --queries`), kNN with k={args.k} (B also with k={", ".join(map(str, args.flat_k))}
passages), size {args.size}, `_source: false`; Elasticsearch `num_candidates` = {args.nc_factor} x k, OpenSearch its default
ef_search; A on OpenSearch is a `nested` query (score_mode max) around `knn` with `expand_nested_docs: true`, A on
Elasticsearch the top-level `knn` on `passages.vector`, both with `inner_hits` (size 1){no_expand}. Metrics are document-level, as
trec_eval computes them: nDCG@10 (gain = relevance, log2(rank + 1) discount, ideal from the qrels) and recall@100; "mean
parents returned" counts distinct parent documents per answer; "ANN recall@100 vs exact" is the fraction of the exact
MaxP top-{args.size} parents (a document scores as its best passage's cosine, numpy over the same store) that the engine
returned. Filtered: the same queries with `filter: term bucket = {args.bucket}` inside the knn, where bucket =
crc32(parent id) % {args.bucket_mod} ({nmatch} of {len(data.parents)} documents match), compared with exact MaxP restricted to
those documents; a query passes when it returns min({args.size}, matching) parents, and every returned parent must match.
"inner_hits = best passage" (A only): fraction of hits whose inner hit names the parent's best passage in the store
(its nested offset = passage number; start/end offsets equal), unfiltered / filtered.

{md}

Mean query latency, unfiltered / filtered, and force-merge time (serial, single client, on a shared 2-core machine
that was compiling at the same time: indicative only; means over the runs):
{lat or "n/a"}

Index settings read back (include_defaults, keys about derived source / source vectors / ef_search):
{settings or "- none"}

Notes:
- Relevant parents at exact MaxP ranks 101–110: {"; ".join(exact["near"]) or "none"}. An engine answer that misses some
  exact top-100 parents can take these in, which is how an engine's recall@100 can be above the exact row's.
- The filter keeps {nmatch} parents; with so few matching vectors Lucene may answer a filtered kNN query by exact search
  over the matching documents instead of the graph (this benchmark does not tell the two apart).

Errors:
{errors}
"""
    with open(args.doc, "w") as f:
        f.write(text)
    log(f"wrote {args.doc}")


if __name__ == "__main__":
    main()
