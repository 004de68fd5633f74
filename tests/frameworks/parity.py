"""Check that the Python embedder gives sembridge's vectors.

    python parity.py --corpus corpus.jsonl [--queries queries.jsonl] [--store corpus.sbv]
                     [--sample N] [--model DIR] [--bin sembridge] [--min-cos 0.9999]

The Rust binary (`sembridge embed`) embeds the first --sample documents (or reads --store, a store of
the whole corpus written with the same model) and, with --queries, the first --sample queries; the
Python embedder embeds the same texts; every pair of vectors must have cosine >= --min-cos.
Prints a JSON summary; exit 1 when a pair is below the threshold.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from embedder import OnnxEmbedder, document_text, sembridge_home  # noqa: E402
from sbv import read_store  # noqa: E402


def default_bin() -> str:
    target = os.environ.get("CARGO_TARGET_DIR", str(sembridge_home() / "target"))
    return os.environ.get("SEMBRIDGE_BIN", str(Path(target) / "release" / "sembridge"))


def read_jsonl(path: Path, limit: int | None = None) -> list[dict]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
                if limit and len(out) >= limit:
                    break
    return out


def rust_embed(binary: str, records: list[dict], model: Path, queries: bool) -> tuple[list[str], np.ndarray, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / ("queries.jsonl" if queries else "corpus.jsonl")
        with open(src, "w", encoding="utf-8") as f:
            for r in records:
                f.write(json.dumps(r) + "\n")
        out = Path(tmp) / "out.sbv"
        cmd = [binary, "embed", "--model", str(model), "--input", str(src), "--output", str(out)]
        if queries:
            cmd.append("--queries")
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        return read_store(out)


def compare(name: str, ids: list[str], rust: np.ndarray, py: np.ndarray, min_cos: float) -> dict:
    rn = rust / np.linalg.norm(rust, axis=1, keepdims=True)
    pn = py / np.linalg.norm(py, axis=1, keepdims=True)
    cos = (rn * pn).sum(axis=1)
    worst = int(np.argmin(cos))
    return {"what": name, "n": len(ids), "min_cos": float(cos.min()), "mean_cos": float(cos.mean()),
            "below": int((cos < min_cos).sum()), "worst_id": ids[worst],
            "max_abs_diff": float(np.abs(rust - py).max())}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--queries", type=Path)
    ap.add_argument("--store", type=Path, help="a .sbv of the whole corpus made by `sembridge embed`/`ingest --store`")
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--bin", default=default_bin())
    ap.add_argument("--min-cos", type=float, default=0.9999)
    args = ap.parse_args(argv)

    emb = OnnxEmbedder(args.model)
    model = emb.config.dir
    results = []

    if args.store:
        ids, rust, meta = read_store(args.store)
        fp = meta.get("model", {}).get("fingerprint")
        if fp and fp != emb.fingerprint:
            print(f"error: {args.store} was written by model {meta['model'].get('short')}, not {emb.fingerprint_short}",
                  file=sys.stderr)
            return 2
        docs = {str(d["_id"]): d for d in read_jsonl(args.corpus)}
        texts = [document_text(docs[i].get("title"), docs[i].get("text")) for i in ids]
    else:
        records = read_jsonl(args.corpus, args.sample)
        ids, rust, _ = rust_embed(args.bin, records, model, queries=False)
        by_id = {str(r["_id"]): r for r in records}
        texts = [document_text(by_id[i].get("title"), by_id[i].get("text")) for i in ids]
    t0 = time.perf_counter()
    py = emb.embed_documents(texts)
    results.append(compare("documents", ids, rust, py, args.min_cos) | {"python_s": round(time.perf_counter() - t0, 2)})

    if args.queries:
        records = read_jsonl(args.queries, args.sample)
        qids, rust_q, _ = rust_embed(args.bin, records, model, queries=True)
        by_id = {str(r["_id"]): r for r in records}
        py_q = emb.embed_queries([by_id[i]["text"] for i in qids])
        results.append(compare("queries", qids, rust_q, py_q, args.min_cos))

    ok = all(r["below"] == 0 for r in results)
    print(json.dumps({"model": str(model), "fingerprint": emb.fingerprint_short, "ok": ok, "results": results,
                      "cache": {"hits": emb.hits, "computed": emb.computed,
                                "compute_s": round(emb.compute_seconds, 2)}}, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
