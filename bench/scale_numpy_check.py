#!/usr/bin/env python3
"""numpy side of bench/bench-scale.sh's exact stage.

  scale_numpy_check.py STORE QUERY_STORE EXACT_RUN N
      Recomputes the exact top-100 (cosine) of the first N queries of QUERY_STORE (a store written
      by `sembridge embed --queries`) over STORE with numpy (BLAS matmul + argpartition) and
      compares with sembridge's TREC run file: per query the top-10 and top-100 id sets must agree
      except for ties (equal scores at the cut, within 1e-6), and scores within 1e-4. Also times
      numpy on 1 query and on 100 queries (matrix in RAM, the load not timed). Prints one JSON.
  scale_numpy_check.py --write-queries QUERY_STORE N OUT.jsonl
      The first N query ids of QUERY_STORE with their texts looked up in queries.jsonl next to it.
"""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
from sbstore import read_store  # noqa: E402


def topk(scores, k):
    idx = np.argpartition(-scores, k - 1, axis=-1)[..., :k]
    part = np.take_along_axis(scores, idx, axis=-1)
    order = np.argsort(-part, axis=-1, kind="stable")
    return np.take_along_axis(idx, order, axis=-1)


def read_run(path):
    run = {}
    with open(path) as f:
        for line in f:
            q, _, d, rank, score, _ = line.split()
            run.setdefault(q, []).append((d, float(score)))
    return run


def normalized(m):
    m = np.array(m, dtype=np.float32)
    m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
    return m


def main():
    if sys.argv[1] == "--write-queries":
        qstore, n, out = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        qids, _, _ = read_store(qstore)
        texts = {}
        with open(os.path.join(os.path.dirname(qstore), "queries.jsonl"), encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                texts[d["_id"]] = d["text"]
        with open(out, "w", encoding="utf-8") as f:
            for q in qids[:n]:
                f.write(json.dumps({"_id": q, "text": texts[q]}) + "\n")
        return
    store, qstore, run_path, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    ids, matrix, _ = read_store(store)
    qids, qmat, _ = read_store(qstore)
    t = time.perf_counter()
    c = normalized(matrix)
    load_s = time.perf_counter() - t
    q = normalized(qmat)
    run = read_run(run_path)

    checked = agree10 = agree100 = 0
    max_score_diff = 0.0
    tie_only_diffs = 0
    for i in range(min(n, len(qids))):
        scores = c @ q[i]
        top = topk(scores, 100)
        ours = run[qids[i]]
        mine = [(ids[j], float(scores[j])) for j in top]
        for k, counter in ((10, "a10"), (100, "a100")):
            a = {d for d, _ in ours[:k]}
            b = {d for d, _ in mine[:k]}
            if a == b:
                if k == 10:
                    agree10 += 1
                else:
                    agree100 += 1
            else:
                # Allowed only where the differing ids tie with the k-th score.
                kth = mine[k - 1][1]
                diff = a ^ b
                idx = {d: j for j, d in enumerate(ids)} if len(diff) else {}
                if all(abs(float(scores[idx[d]]) - kth) <= 1e-6 for d in diff):
                    tie_only_diffs += 1
                    if k == 10:
                        agree10 += 1
                    else:
                        agree100 += 1
        for (d, s), (d2, s2) in zip(ours, mine):
            max_score_diff = max(max_score_diff, abs(s - s2))
        checked += 1

    def timed(nq):
        qq = q[:nq]
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            topk(qq @ c.T, 100)
            best = min(best, time.perf_counter() - t)
        return best

    t1, t100 = timed(1), timed(min(100, len(qids)))
    print(json.dumps({
        "queries_checked": checked, "top10_sets_agree": agree10, "top100_sets_agree": agree100,
        "tie_only_differences": tie_only_diffs, "max_abs_score_diff": max_score_diff,
        "numpy_version": np.__version__, "numpy_load_normalize_secs": load_s,
        "numpy_secs_1_query": t1, "numpy_secs_100_queries": t100, "vectors": len(ids),
    }))
    if agree10 != checked or agree100 != checked or max_score_diff > 1e-4:
        sys.exit(f"numpy disagrees with sembridge exact: {agree10}/{checked} top-10, "
                 f"{agree100}/{checked} top-100, max score diff {max_score_diff}")


if __name__ == "__main__":
    main()
