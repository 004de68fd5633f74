#!/usr/bin/env python3
"""Python peers for bench/bench-embed.sh; prints one JSON object like bench/bench_embed.rs.

  bench_embed_python.py ort   --model DIR (--corpus P | --queries P) [--limit N] [--threads 2]
                              [--batch 32] [--opt all|extended|basic|disable] [--no-arena]
                              [--sort] [--repeat 2] [--vectors OUT] [--compare RUST.f32]
                              [--procs P]
  bench_embed_python.py st    --model DIR ...   (sentence-transformers, if installed)

`ort` is the baseline a user writes: tokenizers with padding to the longest text of the batch and
truncation at max_seq_length (256), batches of 32 in input order (`--sort` sorts by length first),
onnxruntime with intra_op_num_threads=N and inter_op_num_threads=1, masked mean pooling, L2
normalize. `--compare` checks the first vectors against the Rust side's raw f32 file.

`--procs P` is the multi-process peer (what `encode_multi_process` does by hand): P worker
processes (spawned), each its own onnxruntime session of `--threads` threads, the corpus split into
P contiguous slices, each slice in its own batches (length-sorted with `--sort`). A run is timed
from a barrier all loaded workers pass to the last slice's vectors back in the parent, so session
loading is not counted (as on the Rust side); `startup_secs` gives the spawn + load time apart.
"""
import argparse
import json
import os
import sys
import time

import numpy as np


def read_texts(args):
    texts = []
    if args.corpus:
        with open(args.corpus, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                d = json.loads(line)
                title, text = d.get("title") or "", d.get("text") or ""
                texts.append((title + " " + text).strip())
                if len(texts) >= args.limit:
                    break
        return "documents", texts
    with open(args.queries, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                texts.append(json.loads(line)["text"])
                if len(texts) >= args.limit:
                    break
    return "queries", texts


def max_seq_length(model):
    p = os.path.join(model, "sentence_bert_config.json")
    if os.path.exists(p):
        return json.load(open(p)).get("max_seq_length", 256)
    return 256


def ort_embedder(args):
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    msl = max_seq_length(args.model)
    tok.enable_truncation(max_length=msl)
    pad_id = tok.token_to_id("[PAD]") or 0
    tok.enable_padding(pad_id=pad_id, pad_token="[PAD]")  # pads to the longest in the batch

    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = {
        "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }[args.opt]
    if args.no_arena:
        so.enable_cpu_mem_arena = False
    sess = ort.InferenceSession(
        os.path.join(args.model, "model.onnx"), so, providers=["CPUExecutionProvider"]
    )
    in_names = {i.name for i in sess.get_inputs()}
    outs = [o.name for o in sess.get_outputs()]
    out = next((n for n in ("last_hidden_state", "token_embeddings") if n in outs), outs[0])

    def embed_batch(batch):
        enc = tok.encode_batch(batch)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feed = {"input_ids": ids}
        if "attention_mask" in in_names:
            feed["attention_mask"] = mask
        if "token_type_ids" in in_names:
            feed["token_type_ids"] = np.zeros_like(ids)
        h = sess.run([out], feed)[0]
        m = mask[:, :, None].astype(np.float32)
        v = (h * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
        return v / np.clip(np.linalg.norm(v, axis=1, keepdims=True), 1e-12, None)

    def embed(texts):
        order = list(range(len(texts)))
        if args.sort:
            lens = [len(e.ids) for e in tok.encode_batch(texts)]  # inside the timing, fairly
            order.sort(key=lambda i: -lens[i])
        out_vecs = np.empty((len(texts), 0), dtype=np.float32)
        chunks = []
        for s in range(0, len(texts), args.batch):
            idx = order[s : s + args.batch]
            chunks.append((idx, embed_batch([texts[i] for i in idx])))
        dim = chunks[0][1].shape[1] if chunks else 0
        out_vecs = np.empty((len(texts), dim), dtype=np.float32)
        for idx, v in chunks:
            out_vecs[idx] = v
        return out_vecs

    def count_tokens(texts):
        t2 = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
        t2.no_padding()
        t2.enable_truncation(max_length=msl)
        return sum(len(e.ids) for e in t2.encode_batch(texts))

    return embed, count_tokens, f"onnxruntime {ort.__version__}"


def _proc_worker(args, texts, barrier, results):
    embed, _, _ = ort_embedder(args)
    embed(texts[:32])  # warm-up
    for _ in range(max(args.repeat, 1)):
        barrier.wait()
        results.put(embed(texts))


def ort_multiprocess(args, texts):
    """(startup_secs, runs, first vectors) of `args.procs` worker processes."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    n = args.procs
    cuts = [len(texts) * i // n for i in range(n + 1)]
    barrier = ctx.Barrier(n + 1)
    queues = [ctx.Queue() for _ in range(n)]
    t = time.perf_counter()
    procs = [
        ctx.Process(target=_proc_worker, args=(args, texts[cuts[i] : cuts[i + 1]], barrier, queues[i]), daemon=True)
        for i in range(n)
    ]
    for p in procs:
        p.start()
    runs, first = [], None
    startup = None
    for _ in range(max(args.repeat, 1)):
        barrier.wait()
        t0 = time.perf_counter()
        if startup is None:
            startup = t0 - t
        parts = [q.get() for q in queues]
        runs.append(time.perf_counter() - t0)
        if first is None:
            first = np.concatenate(parts) if parts else np.empty((0, 0), np.float32)
    for p in procs:
        p.join()
    return startup, runs, first


def st_embedder(args):
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    m = SentenceTransformer(args.model, device="cpu")

    def embed(texts):
        return m.encode(texts, batch_size=args.batch, normalize_embeddings=True)

    def count_tokens(texts):
        return sum(len(x) for x in m.tokenizer(texts, truncation=True, max_length=m.max_seq_length)["input_ids"])

    return embed, count_tokens, f"sentence-transformers {sys.modules['sentence_transformers'].__version__}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("impl", choices=["ort", "st"])
    p.add_argument("--model", required=True)
    p.add_argument("--corpus")
    p.add_argument("--queries")
    p.add_argument("--limit", type=int, default=sys.maxsize)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--opt", default="all")
    p.add_argument("--no-arena", action="store_true")
    p.add_argument("--sort", action="store_true")
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--vectors")
    p.add_argument("--compare")
    p.add_argument("--procs", type=int, default=1)
    args = p.parse_args()
    kind, texts = read_texts(args)
    if args.procs > 1:
        if args.impl != "ort":
            p.error("--procs needs the `ort` peer")
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
        tok.no_padding()
        tok.enable_truncation(max_length=max_seq_length(args.model))
        tokens = sum(len(e.ids) for e in tok.encode_batch(texts))
        import onnxruntime

        version = f"onnxruntime {onnxruntime.__version__}"
        load_secs, runs, first = ort_multiprocess(args, texts)
    else:
        t = time.perf_counter()
        embed, count_tokens, version = (ort_embedder if args.impl == "ort" else st_embedder)(args)
        load_secs = time.perf_counter() - t
        tokens = count_tokens(texts)
        embed(texts[:32])  # warm-up
        runs, first = [], None
        for _ in range(max(args.repeat, 1)):
            t = time.perf_counter()
            v = embed(texts)
            runs.append(time.perf_counter() - t)
            if first is None:
                first = v
    name = "python-ort" + (f"-{args.procs}procs" if args.procs > 1 else "") + ("-sorted" if args.sort else "")
    res = {
        "impl": name if args.impl == "ort" else "sentence-transformers",
        "procs": args.procs,
        "version": version,
        "kind": kind,
        "model": args.model,
        "threads": args.threads,
        "batch": args.batch,
        "opt": args.opt,
        "arena": not args.no_arena,
        "texts": len(texts),
        "tokens": tokens,
        "load_secs": load_secs,
        "runs": runs,
        "secs": min(runs),
        "texts_per_sec": len(texts) / min(runs),
        "tokens_per_sec": tokens / min(runs),
    }
    if args.vectors:
        np.asarray(first, dtype="<f4").tofile(args.vectors)
    if args.compare:
        rust = np.fromfile(args.compare, dtype="<f4").reshape(-1, first.shape[1])
        mine = np.asarray(first[: len(rust)], dtype=np.float32)
        cos = (rust * mine).sum(1) / (np.linalg.norm(rust, axis=1) * np.linalg.norm(mine, axis=1))
        res["parity"] = {"n": len(rust), "min_cosine": float(cos.min()), "mean_cosine": float(cos.mean())}
    print(json.dumps(res))


if __name__ == "__main__":
    main()
