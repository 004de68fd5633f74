"""Read sembridge's local vector store (.sbv, format version 1; see src/exact/store/mod.rs).

Header (64 bytes, little-endian): magic "SBSTORE1", u32 version, u32 flags, u64 dims, u64 count,
u64 matrix_offset, u64 ids_offset, u64 meta_offset, u64 meta_len; then count x dims f32 rows, the ids
(u32 length + UTF-8 bytes each) and a JSON metadata value.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

MAGIC = b"SBSTORE1"


def read_store(path: str | Path) -> tuple[list[str], np.ndarray, dict]:
    """Return (ids, matrix [count, dims] float32, metadata)."""
    data = Path(path).read_bytes()
    if data[:8] != MAGIC:
        raise ValueError(f"{path}: not a sembridge store (magic {data[:8]!r})")
    version, flags = struct.unpack_from("<II", data, 8)
    if version != 1:
        raise ValueError(f"{path}: store version {version} (this reader knows 1)")
    dims, count, m_off, ids_off, meta_off, meta_len = struct.unpack_from("<6Q", data, 16)
    if meta_off + meta_len != len(data) or m_off + count * dims * 4 != ids_off:
        raise ValueError(f"{path}: header does not match the file length")
    matrix = np.frombuffer(data, dtype="<f4", count=count * dims, offset=m_off).reshape(count, dims)
    ids = []
    pos = ids_off
    for _ in range(count):
        (n,) = struct.unpack_from("<I", data, pos)
        pos += 4
        ids.append(data[pos:pos + n].decode("utf-8"))
        pos += n
    meta = json.loads(data[meta_off:meta_off + meta_len]) if meta_len else {}
    return ids, np.array(matrix, dtype=np.float32), meta


if __name__ == "__main__":
    import sys

    ids, m, meta = read_store(sys.argv[1])
    print(json.dumps({"count": len(ids), "dims": m.shape[1], "first_ids": ids[:3], "meta": meta}, indent=1))
