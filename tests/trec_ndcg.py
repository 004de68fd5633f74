#!/usr/bin/env python3
"""nDCG@10 of TREC run files, computed independently of sembridge with trec_eval's rules.

  trec_ndcg.py QRELS RUN [RUN...]   -> one JSON object {run file name: mean nDCG@10}

As trec_eval's `ndcg_cut.10` (which pytrec_eval and BEIR use): each query's lines are re-sorted by
score descending, ties by docno *descending* (trec_eval's comp_sim_docno), the rank column is
ignored; gain = the judged relevance (<= 0 or unjudged: 0), discount log2(rank + 1); the ideal
DCG ranks the query's positive judgments in descending order. Mean over the queries of the run
that have judgments. QRELS: BEIR TSV (query-id, corpus-id, score, with a header) or TREC qrels.
"""
import json
import math
import sys
from collections import defaultdict


def read_qrels(path):
    qrels = defaultdict(dict)
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if not parts or parts[0] == "query-id":
                continue
            if len(parts) == 4:  # TREC: qid iter docno rel
                q, _, d, r = parts
            else:
                q, d, r = parts[:3]
            qrels[q][d] = int(r)
    return qrels


def read_run(path):
    run = defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for line in f:
            q, _q0, d, _rank, score, _tag = line.split()
            run[q].append((float(score), d))
    return run


def ndcg10(ranked, judged):
    dcg = sum(max(judged.get(d, 0), 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sorted((r for r in judged.values() if r > 0), reverse=True)[:10]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def main():
    qrels = read_qrels(sys.argv[1])
    out = {}
    for path in sys.argv[2:]:
        run = read_run(path)
        scores = []
        for q, lines in run.items():
            if q not in qrels:
                continue
            # Python's sort is stable: docno descending first, then score descending.
            lines.sort(key=lambda t: t[1], reverse=True)
            lines.sort(key=lambda t: t[0], reverse=True)
            scores.append(ndcg10([d for _, d in lines], qrels[q]))
        out[path.rsplit("/", 1)[-1]] = sum(scores) / len(scores)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
