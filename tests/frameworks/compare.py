"""Score and compare result files of `fw.py search` (or any {query_id: [ids] or [[id, score], ...]}).

    python compare.py --qrels test.tsv RUN.json [RUN.json ...]
                      [--exact --corpus corpus.jsonl --queries queries.jsonl [--model DIR]] [--k 10]

Prints, per run: nDCG@k against the qrels (linear gains, as pytrec_eval / BEIR), and with --exact the
recall@k against exact cosine search over the Python embedder's vectors; and the mean top-k overlap
of every run with the first one (1.0 = the same ids).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def load_run(path: Path) -> dict[str, list[str]]:
    raw = json.loads(Path(path).read_text())
    return {q: [h[0] if isinstance(h, list) else h for h in hits] for q, hits in raw.items()}


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            p = line.rstrip("\n").split("\t")
            if i == 0 and p[0] == "query-id":
                continue
            if len(p) >= 3:
                qrels.setdefault(p[0], {})[p[1]] = int(p[2])
    return qrels


def ndcg(run: dict[str, list[str]], qrels: dict[str, dict[str, int]], k: int) -> float:
    total = 0.0
    for q, rel in qrels.items():
        got = run.get(q, [])[:k]
        dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(got))
        ideal = sorted((g for g in rel.values() if g > 0), reverse=True)[:k]
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
        total += dcg / idcg if idcg > 0 else 0.0
    return total / max(len(qrels), 1)


def overlap(a: dict[str, list[str]], b: dict[str, list[str]], k: int) -> float:
    qs = [q for q in a if q in b]
    if not qs:
        return 0.0
    return sum(len(set(a[q][:k]) & set(b[q][:k])) / max(len(a[q][:k]), 1) for q in qs) / len(qs)


def exact_run(corpus: Path, queries: Path, qids: set[str], model, k: int) -> dict[str, list[str]]:
    from embedder import document_text, shared_embedder

    emb = shared_embedder(model)
    ids, texts = [], []
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                ids.append(str(r["_id"]))
                texts.append(document_text(r.get("title"), r.get("text")))
    qs = []
    with open(queries, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                if str(r["_id"]) in qids:
                    qs.append((str(r["_id"]), r["text"]))
    D = emb.embed_documents(texts)
    Q = emb.embed_queries([t for _, t in qs])
    D = D / np.linalg.norm(D, axis=1, keepdims=True)
    Q = Q / np.linalg.norm(Q, axis=1, keepdims=True)
    S = Q @ D.T
    order = np.array(ids)
    out = {}
    for (qid, _), row in zip(qs, S):
        # ties by doc id ascending, as sembridge exact does
        idx = np.lexsort((order, -row))[:k]
        out[qid] = [ids[j] for j in idx]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--qrels", type=Path, required=True)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--exact", action="store_true")
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--queries", type=Path)
    ap.add_argument("--model", type=Path)
    args = ap.parse_args(argv)
    qrels = load_qrels(args.qrels)
    runs = {str(p): load_run(p) for p in args.runs}
    first = runs[str(args.runs[0])]
    exact = None
    if args.exact:
        exact = exact_run(args.corpus, args.queries, set(qrels), args.model, args.k)
    report = {}
    if exact is not None:
        report["exact"] = {"ndcg": round(ndcg(exact, qrels, args.k), 4)}
    for name, run in runs.items():
        r = {"queries": len(run), "ndcg": round(ndcg(run, qrels, args.k), 4),
             "overlap_with_first": round(overlap(run, first, args.k), 4)}
        if exact is not None:
            r["recall_vs_exact"] = round(overlap(exact, run, args.k), 4)
        report[name] = r
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
