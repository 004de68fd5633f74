"""Reader of sembridge's vector store format (SBSTORE1, see src/exact/store/mod.rs) for the Python
baselines of the benchmarks."""
import struct
import sys

import numpy as np


def read_store(path):
    """(ids, matrix, flags) of an SBSTORE1 file; the matrix is memory-mapped (count x dims
    float32); flags bit 0 says the vectors are unit-norm."""
    with open(path, "rb") as f:
        header = f.read(64)
        magic, version, flags, dims, count, mat_off, ids_off, meta_off, _meta_len = struct.unpack(
            "<8sIIQQQQQQ", header
        )
        if magic != b"SBSTORE1" or version != 1:
            sys.exit(f"{path}: not a version-1 sembridge store")
        f.seek(ids_off)
        raw = f.read(meta_off - ids_off)
    ids, pos = [], 0
    for _ in range(count):
        (n,) = struct.unpack_from("<I", raw, pos)
        ids.append(raw[pos + 4 : pos + 4 + n].decode("utf-8"))
        pos += 4 + n
    matrix = np.memmap(path, dtype="<f4", mode="r", offset=mat_off, shape=(count, dims))
    return ids, matrix, flags
