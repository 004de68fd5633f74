"""Build and search indexes with the frameworks' own code (LangChain, Haystack) on OpenSearch and
Elasticsearch, using the sembridge model through onnxruntime (embedder.py).

    fw.py build  --framework langchain|haystack --engine opensearch|elasticsearch --url URL --index NAME
                 --corpus corpus.jsonl [--model DIR] [--recreate] [--limit N] [--space-type S]
                 [--lc-content embed|text]
    fw.py search --framework ... --engine ... --url URL --index NAME --queries queries.jsonl
                 [--qrels test.tsv] [--k 10] [--model DIR] [--num-candidates N] [--scores] [--output FILE]
    fw.py mapping --engine ... --url URL --index NAME        # GET /NAME/_mapping, printed
    fw.py drop    --engine ... --url URL --index NAME        # delete the index (missing is fine)

build: LangChain writes with `add_texts(texts, metadatas=[{"title": ...}], ids=[corpus _id])`
(OpenSearchVectorSearch / ElasticsearchStore); Haystack runs a Pipeline of the ONNX document embedder
(meta_fields_to_embed=["title"]) and a DocumentWriter (policy OVERWRITE) into OpenSearchDocumentStore /
ElasticsearchDocumentStore, Documents with id = corpus _id, content = text, meta = {"title": ...}.
The string embedded per document is sembridge's: (title + " " + text).strip().

On OpenSearch the k-NN engine is forced to lucene (the only one our k-NN build can run): LangChain
via engine="lucene", Haystack via method={"name": "hnsw", "engine": "lucene", ...}. The index is made
first by the framework's own code (LangChain `create_index`, Haystack's store initialization), its
mapping is checked to use lucene for every knn_vector field, and only then are documents written; an
index with another engine is deleted again without a document in it.

search: LangChain `similarity_search_by_vector` (OpenSearch; ids from Document.id) and
`similarity_search_by_vector_with_relevance_scores` (Elasticsearch; its store implements no
`similarity_search_by_vector`, and its default doc_builder drops the id, so a doc_builder reads _id);
Haystack Pipeline text embedder -> OpenSearchEmbeddingRetriever / ElasticsearchEmbeddingRetriever
(ids from Document.id, which Haystack reads from the `id` field of _source). Prints
{query_id: [doc ids in rank order]} (with --scores: [[id, score], ...]) as JSON.
A timing summary goes to stderr as one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from embedder import document_text, shared_embedder  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning)

OS_DEFAULT_SPACE = "l2"  # LangChain's default space_type; also the k-NN plugin's when no method is given


# -- inputs ---------------------------------------------------------------------------------------
def read_corpus(path: Path, limit: int | None = None) -> list[dict]:
    docs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            docs.append({"id": str(r["_id"]), "title": r.get("title") or "", "text": r.get("text") or "",
                         "metadata": r.get("metadata") or {}})
            if limit and len(docs) >= limit:
                break
    return docs


def read_queries(path: Path, qrels: Path | None) -> list[tuple[str, str]]:
    keep = None
    if qrels:
        keep = set()
        with open(qrels, encoding="utf-8") as f:
            for i, line in enumerate(f):
                parts = line.rstrip("\n").split("\t")
                if i == 0 and parts and parts[0] == "query-id":
                    continue
                if parts and parts[0]:
                    keep.add(parts[0])
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                qid = str(r["_id"])
                if keep is None or qid in keep:
                    out.append((qid, r["text"]))
    return out


# -- raw clients (deleting, mappings, the lucene guard) ---------------------------------------------
def raw_client(engine: str, url: str):
    if engine == "opensearch":
        from opensearchpy import OpenSearch

        return OpenSearch(url, timeout=120)
    from elasticsearch import Elasticsearch

    return Elasticsearch(url, request_timeout=120)


def drop_index(engine: str, url: str, index: str) -> bool:
    c = raw_client(engine, url)
    if engine == "opensearch":
        if c.indices.exists(index=index):
            c.indices.delete(index=index)
            return True
        return False
    if c.indices.exists(index=index):
        c.indices.delete(index=index)
        return True
    return False


def get_mapping(engine: str, url: str, index: str) -> dict:
    c = raw_client(engine, url)
    m = c.indices.get_mapping(index=index)
    return dict(m) if not isinstance(m, dict) else m


def knn_fields(props: dict, prefix: str = ""):
    for name, spec in (props or {}).items():
        if spec.get("type") == "knn_vector":
            yield prefix + name, spec
        if "properties" in spec:
            yield from knn_fields(spec["properties"], prefix + name + ".")


def ensure_lucene(url: str, index: str) -> None:
    """Refuse (and delete, if it holds no document) an OpenSearch index whose knn_vector fields do not
    all use the lucene engine: our k-NN build has no native libraries, and indexing a document into a
    faiss/nmslib field takes the node down."""
    c = raw_client("opensearch", url)
    mapping = c.indices.get_mapping(index=index)
    props = next(iter(mapping.values()))["mappings"].get("properties", {})
    bad = [(name, (spec.get("method") or {}).get("engine")) for name, spec in knn_fields(props)
           if (spec.get("method") or {}).get("engine") != "lucene"]
    if bad:
        count = c.count(index=index)["count"]
        if count == 0:
            c.indices.delete(index=index)
        raise SystemExit(f"refusing to write into {index}: knn_vector fields without engine lucene {bad} "
                         f"(index {'deleted' if count == 0 else 'left as is: it holds documents'})")


# -- build --------------------------------------------------------------------------------------------
def build(args) -> dict:
    docs = read_corpus(args.corpus, args.limit)
    if args.recreate:
        drop_index(args.engine, args.url, args.index)
    t0 = time.perf_counter()
    emb = shared_embedder(args.model)
    load_s = time.perf_counter() - t0
    if args.framework == "langchain":
        n = build_langchain(args, docs)
    else:
        n = build_haystack(args, docs, emb.dims)
    total = time.perf_counter() - t0
    raw_client(args.engine, args.url).indices.refresh(index=args.index)
    count = raw_client(args.engine, args.url).count(index=args.index)["count"]
    return {"framework": args.framework, "engine": args.engine, "index": args.index, "docs": len(docs),
            "written": n, "count": count, "total_s": round(total, 2), "model_load_s": round(load_s, 2),
            "embed_s": round(emb.compute_seconds, 2), "embedded": emb.computed, "cache_hits": emb.hits,
            "index_s": round(total - load_s - emb.compute_seconds, 2), "model": str(emb.config.dir),
            "fingerprint": emb.fingerprint_short}


def build_langchain(args, docs: list[dict]) -> int:
    from embedder import langchain_embeddings

    emb = langchain_embeddings(args.model)
    ids = [d["id"] for d in docs]
    metas = [{"title": d["title"], **d["metadata"]} for d in docs]
    embed_strings = [document_text(d["title"], d["text"]) for d in docs]
    if args.lc_content == "embed":
        texts = embed_strings  # add_texts embeds what it stores
    else:
        texts = [d["text"] for d in docs]

    if args.engine == "opensearch":
        from langchain_community.vectorstores import OpenSearchVectorSearch

        space = args.space_type or OS_DEFAULT_SPACE
        store = OpenSearchVectorSearch(args.url, args.index, emb, engine="lucene", timeout=120)
        if not store.index_exists():
            # The framework's own create_index, with the same mapping function add_texts would use.
            store.create_index(emb.embedder.dims, args.index, engine="lucene", space_type=space)
        ensure_lucene(args.url, args.index)
        if args.lc_content == "embed":
            out = store.add_texts(texts, metadatas=metas, ids=ids, bulk_size=len(texts),
                                  engine="lucene", space_type=space)
        else:
            vecs = emb.embed_documents(embed_strings)
            out = store.add_embeddings(list(zip(texts, vecs)), metadatas=metas, ids=ids,
                                       bulk_size=len(texts), engine="lucene", space_type=space)
        return len(out)

    from langchain_elasticsearch import ElasticsearchStore

    kw = {}
    if args.space_type:
        kw["distance_strategy"] = args.space_type.upper()
    store = ElasticsearchStore(args.index, embedding=emb, es_url=args.url,
                               es_params={"request_timeout": 120}, **kw)
    if args.lc_content == "embed":
        out = store.add_texts(texts, metadatas=metas, ids=ids)
    else:
        vecs = emb.embed_documents(embed_strings)
        out = store.add_embeddings(list(zip(texts, vecs)), metadatas=metas, ids=ids)
    return len(out)


def haystack_store(args, dims: int | None = None):
    if args.engine == "opensearch":
        from haystack_integrations.document_stores.opensearch import OpenSearchDocumentStore

        space = getattr(args, "space_type", None) or OS_DEFAULT_SPACE
        return OpenSearchDocumentStore(hosts=args.url, index=args.index, embedding_dim=dims or 768,
                                       method={"name": "hnsw", "engine": "lucene", "space_type": space},
                                       timeout=120)
    from haystack_integrations.document_stores.elasticsearch import ElasticsearchDocumentStore

    space = getattr(args, "space_type", None)
    kw = {"embedding_similarity_function": space} if space else {}
    return ElasticsearchDocumentStore(hosts=args.url, index=args.index, request_timeout=120, **kw)


def build_haystack(args, docs: list[dict], dims: int) -> int:
    from haystack import Document, Pipeline
    from haystack.components.writers import DocumentWriter
    from haystack.document_stores.types import DuplicatePolicy

    from embedder import haystack_document_embedder

    store = haystack_store(args, dims)
    if args.engine == "opensearch":
        store.count_documents()  # initializes the client: the store creates its index here
        ensure_lucene(args.url, args.index)
    pipe = Pipeline()
    pipe.add_component("embedder", haystack_document_embedder(args.model, meta_fields_to_embed=["title"]))
    pipe.add_component("writer", DocumentWriter(document_store=store, policy=DuplicatePolicy.OVERWRITE))
    pipe.connect("embedder.documents", "writer.documents")
    hdocs = [Document(id=d["id"], content=d["text"], meta={"title": d["title"], **d["metadata"]}) for d in docs]
    res = pipe.run({"embedder": {"documents": hdocs}})
    return int(res["writer"]["documents_written"])


# -- search ---------------------------------------------------------------------------------------------
def search(args) -> tuple[dict, dict]:
    queries = read_queries(args.queries, args.qrels)
    emb = shared_embedder(args.model)
    t0 = time.perf_counter()
    emb.embed_queries([q for _, q in queries])  # batch-embed once (cached); the frameworks embed per query
    embed_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    if args.framework == "langchain":
        results = search_langchain(args, queries)
    else:
        results = search_haystack(args, queries)
    search_s = time.perf_counter() - t1
    if not args.scores:
        results = {q: [i for i, _ in hits] for q, hits in results.items()}
    return results, {"framework": args.framework, "engine": args.engine, "index": args.index,
                     "queries": len(queries), "k": args.k, "query_embed_s": round(embed_s, 2),
                     "search_s": round(search_s, 2)}


def search_langchain(args, queries) -> dict:
    from embedder import langchain_embeddings

    emb = langchain_embeddings(args.model)
    out = {}
    if args.engine == "opensearch":
        from langchain_community.vectorstores import OpenSearchVectorSearch

        if args.num_candidates:
            raise SystemExit("--num-candidates: LangChain's OpenSearchVectorSearch has no hook for ef_search at query time")
        store = OpenSearchVectorSearch(args.url, args.index, emb, engine="lucene", timeout=120)
        for qid, text in queries:
            vec = emb.embed_query(text)
            if args.scores:
                hits = store.similarity_search_with_score_by_vector(vec, k=args.k)
            else:  # the plain API, as an application would call it
                hits = [(d, None) for d in store.similarity_search_by_vector(vec, k=args.k)]
            out[qid] = [(d.id, s) for d, s in hits]
        return out

    from langchain_core.documents import Document
    from langchain_elasticsearch import ElasticsearchStore

    store = ElasticsearchStore(args.index, embedding=emb, es_url=args.url, es_params={"request_timeout": 120})

    def doc_builder(hit: dict) -> Document:
        return Document(id=hit["_id"], page_content=hit["_source"].get(store.query_field, ""),
                        metadata=hit["_source"].get("metadata", {}))

    custom = None
    if args.num_candidates:
        def custom(body, _query):
            body["knn"]["num_candidates"] = args.num_candidates
            return body

    for qid, text in queries:
        vec = emb.embed_query(text)
        hits = store.similarity_search_by_vector_with_relevance_scores(vec, k=args.k, doc_builder=doc_builder,
                                                                       custom_query=custom)
        out[qid] = [(d.id, s) for d, s in hits]
    return out


def search_haystack(args, queries) -> dict:
    from haystack import Pipeline

    from embedder import haystack_text_embedder

    store = haystack_store(args)
    if args.engine == "opensearch":
        if not raw_client("opensearch", args.url).indices.exists(index=args.index):
            raise SystemExit(f"no index {args.index}")  # the store would create one (default mapping)
        from haystack_integrations.components.retrievers.opensearch import OpenSearchEmbeddingRetriever

        kw = {"search_kwargs": {"method_parameters": {"ef_search": args.num_candidates}}} if args.num_candidates else {}
        retriever = OpenSearchEmbeddingRetriever(document_store=store, top_k=args.k, **kw)
    else:
        from haystack_integrations.components.retrievers.elasticsearch import ElasticsearchEmbeddingRetriever

        retriever = ElasticsearchEmbeddingRetriever(document_store=store, top_k=args.k,
                                                    num_candidates=args.num_candidates)
    pipe = Pipeline()
    pipe.add_component("embedder", haystack_text_embedder(args.model))
    pipe.add_component("retriever", retriever)
    pipe.connect("embedder.embedding", "retriever.query_embedding")
    out = {}
    for qid, text in queries:
        docs = pipe.run({"embedder": {"text": text}})["retriever"]["documents"]
        out[qid] = [(d.id, d.score) for d in docs]
    return out


# -- CLI ------------------------------------------------------------------------------------------------------
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p, framework=True):
        if framework:
            p.add_argument("--framework", choices=["langchain", "haystack"], required=True)
        p.add_argument("--engine", choices=["opensearch", "elasticsearch"], required=True)
        p.add_argument("--url", required=True)
        p.add_argument("--index", required=True)

    b = sub.add_parser("build", help="index a BEIR corpus with the framework's own code")
    common(b)
    b.add_argument("--corpus", type=Path, required=True)
    b.add_argument("--model", type=Path, default=None)
    b.add_argument("--recreate", action="store_true", help="delete the index first")
    b.add_argument("--limit", type=int, default=None, help="only the first N documents")
    b.add_argument("--space-type", default=None,
                   help="OpenSearch space_type (default l2) / Elasticsearch similarity (default cosine): "
                        "LangChain ES takes COSINE|DOT_PRODUCT|EUCLIDEAN_DISTANCE|MAX_INNER_PRODUCT, "
                        "Haystack ES cosine|dot_product|l2_norm|max_inner_product")
    b.add_argument("--lc-content", choices=["embed", "text"], default="embed",
                   help="LangChain page_content: the embedded string title+' '+text (add_texts, default) or the "
                        "text alone with vectors of title+' '+text (add_embeddings)")

    s = sub.add_parser("search", help="top-k ids per query through the framework's retriever")
    common(s)
    s.add_argument("--queries", type=Path, required=True)
    s.add_argument("--qrels", type=Path, default=None, help="keep only the queries this qrels file judges")
    s.add_argument("--k", type=int, default=10)
    s.add_argument("--model", type=Path, default=None)
    s.add_argument("--num-candidates", type=int, default=None,
                   help="Elasticsearch num_candidates / OpenSearch ef_search (Haystack); default: the framework's")
    s.add_argument("--scores", action="store_true", help="[[id, score], ...] instead of ids")
    s.add_argument("--output", type=Path, default=None)

    m = sub.add_parser("mapping", help="print GET /INDEX/_mapping")
    common(m, framework=False)
    d = sub.add_parser("drop", help="delete the index")
    common(d, framework=False)

    args = ap.parse_args(argv)
    if args.cmd == "build":
        print(json.dumps(build(args)))
    elif args.cmd == "search":
        results, timing = search(args)
        text = json.dumps(results)
        if args.output:
            args.output.write_text(text + "\n")
        else:
            print(text)
        print(json.dumps(timing), file=sys.stderr)
    elif args.cmd == "mapping":
        print(json.dumps(get_mapping(args.engine, args.url, args.index), indent=1))
    elif args.cmd == "drop":
        print(json.dumps({"index": args.index, "deleted": drop_index(args.engine, args.url, args.index)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
