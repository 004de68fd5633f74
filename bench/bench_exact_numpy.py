"""numpy side of bench/bench-exact.sh: exact top-k on a sembridge store (BLAS matmul + argpartition).

Reads the store with bench/sbstore.py (header, then a memory-mapped f32 matrix), loads the
matrix into RAM as numpy users do, and prints one JSON line. Queries come from the same raw f32 file as the
Rust side, so the top-k ids can be compared.
"""
import json
import sys
import time

import numpy as np

from sbstore import read_store


def topk(scores, k):
    """Indices of the k best scores per row, best first."""
    idx = np.argpartition(-scores, k - 1, axis=-1)[..., :k]
    part = np.take_along_axis(scores, idx, axis=-1)
    order = np.argsort(-part, axis=-1, kind="stable")
    return np.take_along_axis(idx, order, axis=-1)


def main():
    store, qfile, k, single, batches = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    t = time.perf_counter()
    ids, matrix, flags = read_store(store)
    c = np.array(matrix)
    load_s = time.perf_counter() - t
    q = np.fromfile(qfile, dtype="<f4").reshape(-1, c.shape[1])
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    if not flags & 1:  # cosine on a store that is not unit-norm: normalize once, up front
        c /= np.maximum(np.linalg.norm(c, axis=1, keepdims=True), 1e-12)

    dst = np.empty_like(c)
    np.copyto(dst, c)  # first copy faults the pages in; time the second
    t = time.perf_counter()
    np.copyto(dst, c)
    copy_s = time.perf_counter() - t
    del dst

    topk(c @ q[0], k)  # warm-up
    t = time.perf_counter()
    for i in range(single):
        topk(c @ q[i % len(q)], k)
    single_s = (time.perf_counter() - t) / single

    t = time.perf_counter()
    for _ in range(batches):
        idx = topk(q @ c.T, k)
    batch_s = (time.perf_counter() - t) / batches

    nbytes = c.nbytes
    print(json.dumps({
        "numpy": np.__version__,
        "load_s": load_s,
        # A copy reads and writes every byte: 2 x bytes moved (write-allocate not counted).
        "copy": {"s": copy_s, "gb_per_s": 2 * nbytes / copy_s / 1e9},
        "single": {"s_per_query": single_s, "qps": 1 / single_s},
        "batch": {"size": len(q), "s_per_batch": batch_s, "qps": len(q) / batch_s},
        "top_ids": [[ids[j] for j in row] for row in idx.tolist()],
    }))


if __name__ == "__main__":
    main()
