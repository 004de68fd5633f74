"""An independent reference for sembridge's embeddings and SciFact figures (issue 24).

Plain onnxruntime + tokenizers + numpy, sharing nothing with the Rust code: it reads the
sentence-transformers folder itself (modules.json, 1_Pooling/config.json,
sentence_bert_config.json, config_sentence_transformers.json), tokenizes without padding with
truncation at max_seq_length, pads each batch with zeros, runs the graph, pools (mean over the
attention mask, or the CLS token), L2-normalizes, and applies the prompts the way
sentence-transformers' encode_query / encode_document do.

  python models_reference.py embed  MODEL_DIR {query|document} TEXTS.json OUT.json
      TEXTS.json: a JSON list of strings; OUT.json: {"prompt": ..., "vectors": [[...], ...]}
  python models_reference.py scifact MODEL_DIR SCIFACT_DIR [--cache DIR] [--threads N] [--batch N]
      exact cosine top-100 over the corpus ((title + " " + text).strip(), BEIR's way) for the judged test
      queries; prints {"ndcg@10": ..., "recall@100": ..., "queries": 300, "docs": 5183}
      with nDCG as pytrec_eval / trec_eval compute it (gain = relevance, log2 discount, ideal
      DCG from all judged documents), recall@100 = judged relevant found / judged relevant.

Run with the set-up venv: $SEMBRIDGE_HOME/venv/bin/python (scripts/setup.sh).
"""

import hashlib
import json
import math
import os
import sys

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer


def read_json(path, default=None):
    if not os.path.exists(path):
        return default
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class Model:
    def __init__(self, folder, threads=1):
        self.folder = folder
        modules = read_json(os.path.join(folder, "modules.json"), [])
        self.normalize = any(m["type"].endswith("Normalize") for m in modules)
        pool_path = next((m["path"] for m in modules if m["type"].endswith("Pooling")), "1_Pooling")
        pool = read_json(os.path.join(folder, pool_path, "config.json"), {})
        if pool.get("pooling_mode_cls_token"):
            self.pooling = "cls"
        elif pool.get("pooling_mode_mean_tokens", True):
            self.pooling = "mean"
        else:
            raise SystemExit(f"{folder}: pooling {pool} not handled by the reference")
        sbert = read_json(os.path.join(folder, "sentence_bert_config.json"), {})
        self.max_len = sbert.get("max_seq_length", 512)
        self.lower = sbert.get("do_lower_case", False)
        st = read_json(os.path.join(folder, "config_sentence_transformers.json"), {})
        self.prompts = st.get("prompts") or {}
        self.default_prompt = st.get("default_prompt_name")
        self.tok = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
        self.tok.no_padding()
        self.tok.enable_truncation(self.max_len)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.sess = ort.InferenceSession(
            os.path.join(folder, "model.onnx"), opts, providers=["CPUExecutionProvider"]
        )
        self.inputs = [i.name for i in self.sess.get_inputs()]

    def prompt(self, role):
        names = ["query"] if role == "query" else ["document", "passage", "corpus"]
        for n in names:
            if n in self.prompts:
                return self.prompts[n]
        if self.default_prompt:
            return self.prompts[self.default_prompt]
        return None

    def embed(self, texts, role, batch=1):
        """One text per run by default: int8 graphs quantized dynamically (DynamicQuantizeLinear,
        one scale for the whole activation tensor, padding included) give a text a vector that
        depends on the texts batched with it; alone, every graph gives the text's own vector."""
        p = self.prompt(role) or ""
        texts = [p + (t.lower() if self.lower else t) for t in texts]
        enc = self.tok.encode_batch(texts)
        order = sorted(range(len(enc)), key=lambda i: len(enc[i].ids))
        out = np.zeros((len(texts), 0), dtype=np.float32)
        rows = {}
        for s in range(0, len(order), batch):
            idx = order[s : s + batch]
            width = max(len(enc[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            types = np.zeros((len(idx), width), dtype=np.int64)
            for r, i in enumerate(idx):
                n = len(enc[i].ids)
                ids[r, :n] = enc[i].ids
                mask[r, :n] = enc[i].attention_mask
                types[r, :n] = enc[i].type_ids
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            hidden = self.sess.run(None, {k: feed[k] for k in self.inputs})[0].astype(np.float64)
            if self.pooling == "cls":
                pooled = hidden[:, 0, :]
            else:
                m = mask[:, :, None].astype(np.float64)
                pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
            if self.normalize:
                pooled = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            for r, i in enumerate(idx):
                rows[i] = pooled[r]
        if rows:
            out = np.stack([rows[i] for i in range(len(texts))]).astype(np.float32)
        return out


def cmd_embed(folder, role, texts_path, out_path):
    model = Model(folder)
    with open(texts_path, encoding="utf-8") as f:
        texts = json.load(f)
    vectors = model.embed(texts, role)
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump({"prompt": model.prompt(role), "vectors": vectors.tolist()}, f)


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def ndcg_at(ranked, judged, k):
    dcg = sum(judged.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def cmd_scifact(folder, scifact, cache=None, threads=1, batch=1):
    model = Model(folder, threads)
    corpus = read_jsonl(os.path.join(scifact, "corpus.jsonl"))
    doc_ids = [str(d["_id"]) for d in corpus]
    texts = [((d.get("title") or "") + " " + (d.get("text") or "")).strip() for d in corpus]
    docs = None
    if cache:
        digest = hashlib.sha256()
        for name in ("model.onnx", "tokenizer.json"):
            with open(os.path.join(folder, name), "rb") as f:
                digest.update(f.read())
        key = f"{digest.hexdigest()[:16]}-{model.pooling}-{model.max_len}-{len(texts)}-b{batch}"
        path = os.path.join(cache, f"scifact-ref-{key}.npy")
        if os.path.exists(path):
            docs = np.load(path)
    if docs is None:
        docs = model.embed(texts, "document", batch)
        if cache:
            os.makedirs(cache, exist_ok=True)
            np.save(path, docs)
    qrels = {}
    with open(os.path.join(scifact, "qrels", "test.tsv"), encoding="utf-8") as f:
        next(f)
        for line in f:
            q, d, s = line.rstrip("\n").split("\t")
            qrels.setdefault(q, {})[d] = int(s)
    queries = [q for q in read_jsonl(os.path.join(scifact, "queries.jsonl")) if str(q["_id"]) in qrels]
    qv = model.embed([q["text"] for q in queries], "query", batch)
    scores = qv.astype(np.float64) @ docs.astype(np.float64).T
    ndcg, recall = [], []
    for row, q in zip(scores, queries):
        judged = qrels[str(q["_id"])]
        # score descending, then doc id ascending (ties are rare; sembridge breaks them the same way)
        top = sorted(range(len(doc_ids)), key=lambda i: (-row[i], doc_ids[i]))[:100]
        ranked = [doc_ids[i] for i in top]
        ndcg.append(ndcg_at(ranked, judged, 10))
        rel = {d for d, g in judged.items() if g > 0}
        recall.append(len(rel & set(ranked)) / len(rel))
    print(
        json.dumps(
            {
                "ndcg@10": round(float(np.mean(ndcg)), 4),
                "recall@100": round(float(np.mean(recall)), 4),
                "queries": len(queries),
                "docs": len(doc_ids),
                "model": folder,
            }
        )
    )


def main(argv):
    if len(argv) >= 6 and argv[1] == "embed":
        cmd_embed(argv[2], argv[3], argv[4], argv[5])
    elif len(argv) >= 4 and argv[1] == "scifact":
        rest = argv[4:]
        cache = rest[rest.index("--cache") + 1] if "--cache" in rest else None
        threads = int(rest[rest.index("--threads") + 1]) if "--threads" in rest else 1
        batch = int(rest[rest.index("--batch") + 1]) if "--batch" in rest else 1
        cmd_scifact(argv[2], argv[3], cache, threads, batch)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
