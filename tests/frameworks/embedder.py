"""The sembridge model in Python: ONNX Runtime + tokenizers, as the Rust embedder runs it.

One sentence-transformers folder (model.onnx or onnx/model.onnx, tokenizer.json, modules.json,
1_Pooling/config.json, sentence_bert_config.json, config_sentence_transformers.json) is read the way
src/embed/model.rs reads it: pooling mean/cls/max, L2 normalization when modules.json has a Normalize
module, max_seq_length = min(sentence_bert_config, config.json max_position_embeddings), lower-casing
when do_lower_case, and the query/document prompts sentence-transformers' encode_query /
encode_document would apply. Texts are tokenized without padding, sorted by token length and cut into
batches by a padded-token budget, like src/embed/batch.rs; a graph whose vectors depend on the batch
(dynamic int8 quantization) runs one text at a time, as in Rust (src/embed/mod.rs).

Vectors are cached on disk (SQLite, one file per model fingerprint under
$SEMBRIDGE_HOME/testdata, default ~/.cache/sembridge/testdata), keyed by sha256 of the exact string
fed to the model (prompt included), so SciFact is embedded once across runs and tests.

Adapters for the frameworks (imported lazily, so this module needs only onnxruntime, tokenizers and
numpy): `langchain_embeddings(model_dir)` returns a langchain_core `Embeddings`;
`haystack_document_embedder(...)` / `haystack_text_embedder(...)` return Haystack components.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Iterable, Optional, Sequence

import numpy as np

TOKEN_BUDGET = 1024  # padded tokens per inference batch (src/embed/mod.rs default)
MAX_BATCH = 256
WINDOW = 2048  # texts sorted together (src/embed/mod.rs default window)


def sembridge_home() -> Path:
    return Path(os.environ.get("SEMBRIDGE_HOME", Path.home() / ".cache" / "sembridge"))


def default_model_dir() -> Path:
    """SEMBRIDGE_MODEL as sembridge reads it: a folder, or an installed model's name (a folder
    under $SEMBRIDGE_HOME/models, scripts/models.sh); default all-MiniLM-L6-v2."""
    env = os.environ.get("SEMBRIDGE_MODEL")
    if env:
        p = Path(env)
        named = sembridge_home() / "models" / env
        if not p.exists() and len(p.parts) == 1 and named.is_dir():
            return named
        return p
    return sembridge_home() / "models" / "all-MiniLM-L6-v2"


def document_text(title: Optional[str], text: Optional[str]) -> str:
    """The string sembridge embeds for a document (src/corpus/mod.rs `Doc::embed_text`):
    BEIR's `(title + " " + text).strip()`, just the stripped text when there is no title."""
    title = title or ""
    text = text or ""
    if not title:
        return text.strip()
    return f"{title} {text}".strip()


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read_json(path: Path, default):
    if path.is_file():
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    return default


class ModelConfig:
    """What src/embed/model.rs reads from a sentence-transformers folder."""

    def __init__(self, model_dir: os.PathLike | str):
        d = Path(model_dir).expanduser()
        if not d.is_dir():
            raise FileNotFoundError(f"model folder {d} does not exist")
        self.dir = d
        onnx = [p for p in (d / "model.onnx", d / "onnx" / "model.onnx") if p.is_file()]
        if not onnx:
            raise FileNotFoundError(f"{d}: no model.onnx (nor onnx/model.onnx)")
        self.onnx_path = onnx[0]
        self.tokenizer_path = d / "tokenizer.json"
        if not self.tokenizer_path.is_file():
            raise FileNotFoundError(f"{d}: no tokenizer.json")

        modules = _read_json(d / "modules.json", [])
        self.normalize = any(str(m.get("type", "")).endswith("Normalize") for m in modules)
        pool_dir = next((d / m.get("path", "") for m in modules if str(m.get("type", "")).endswith("Pooling")),
                        d / "1_Pooling")
        pc = _read_json(pool_dir / "config.json", None)
        self.pooling = "mean" if pc is None else self._pooling(pc)

        sbert = _read_json(d / "sentence_bert_config.json", {})
        model_max = _read_json(d / "config.json", {}).get("max_position_embeddings")
        seq = sbert.get("max_seq_length")
        if seq is not None and model_max is not None:
            self.max_seq_length = min(seq, model_max)
        elif seq is not None:
            self.max_seq_length = seq
        elif model_max is not None:
            self.max_seq_length = min(model_max, 512)
        else:
            self.max_seq_length = 512
        self.do_lower_case = bool(sbert.get("do_lower_case", False))

        st = _read_json(d / "config_sentence_transformers.json", {})
        self.prompts: dict = st.get("prompts") or {}
        self.default_prompt_name = st.get("default_prompt_name")

    @staticmethod
    def _pooling(pc: dict) -> str:
        mode = pc.get("pooling_mode")
        if mode:
            if mode not in ("mean", "cls", "max"):
                raise ValueError(f"pooling mode {mode} is not supported")
            return mode
        for key in ("pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"):
            if pc.get(key):
                raise ValueError(f"pooling {key} is not supported")
        on = [name for key, name in (("pooling_mode_cls_token", "cls"), ("pooling_mode_mean_tokens", "mean"),
                                     ("pooling_mode_max_tokens", "max")) if pc.get(key)]
        if len(on) > 1:
            raise ValueError(f"several pooling modes at once: {on}")
        return on[0] if on else "mean"

    def prompt_for(self, role: str) -> str:
        names = ["query"] if role == "query" else ["document", "passage", "corpus"]
        for n in names:
            if n in self.prompts:
                return self.prompts[n]
        if self.default_prompt_name and self.default_prompt_name in self.prompts:
            return self.prompts[self.default_prompt_name]
        return ""


class OnnxEmbedder:
    """Embeds texts with the model folder's ONNX graph; thread-safe; cached on disk."""

    def __init__(self, model_dir: os.PathLike | str | None = None, *, cache: bool = True,
                 threads: Optional[int] = None, cache_dir: os.PathLike | str | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.config = ModelConfig(model_dir or default_model_dir())
        tok = Tokenizer.from_file(str(self.config.tokenizer_path))
        tok.no_padding()
        tok.enable_truncation(max_length=self.config.max_seq_length)
        self.tokenizer = tok

        opts = ort.SessionOptions()
        threads = threads if threads is not None else int(os.environ.get("SEMBRIDGE_THREADS", "0"))
        if threads > 0:
            opts.intra_op_num_threads = threads
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(self.config.onnx_path), opts, providers=["CPUExecutionProvider"])
        inputs = {i.name: i for i in self.session.get_inputs()}
        if "input_ids" not in inputs:
            raise ValueError(f"{self.config.onnx_path}: no input_ids input ({list(inputs)})")
        extra = set(inputs) - {"input_ids", "attention_mask", "token_type_ids"}
        if extra:
            raise ValueError(f"{self.config.onnx_path}: cannot fill inputs {sorted(extra)}")
        self.input_names = list(inputs)
        self.int32 = inputs["input_ids"].type == "tensor(int32)"
        self.output_name, self.pooled = self._find_output()
        self._lock = threading.Lock()

        self.max_batch = MAX_BATCH
        self.dims = len(self._embed_uncached(["dimension probe"])[0])
        # As src/embed/mod.rs `depends_on_batch`: a graph quantized dynamically (one int8 scale
        # for the whole batch's activations) gives a text a vector that depends on its batch, so
        # it runs one text at a time.
        probe = ["batch probe", "a longer batch probe, with more words than the other text has"]
        encs = self.tokenizer.encode_batch(probe, add_special_tokens=True)
        together = self._run_batch(encs)
        for i, e in enumerate(encs):
            alone = self._run_batch([e])[0].astype(np.float64)
            t = together[i].astype(np.float64)
            cos = float(alone @ t / max(np.linalg.norm(alone) * np.linalg.norm(t), 1e-30))
            if cos < 1.0 - 1e-5:
                self.max_batch = 1
                break
        self.fingerprint = {
            "onnx_sha256": _sha256_file(self.config.onnx_path),
            "tokenizer_sha256": _sha256_file(self.config.tokenizer_path),
            "dims": self.dims,
            "pooling": self.config.pooling,
            "normalize": self.config.normalize,
            "max_seq_length": self.config.max_seq_length,
        }
        fp = self.fingerprint
        self.fingerprint_short = f"{fp['onnx_sha256'][:12]}-{fp['tokenizer_sha256'][:8]}-{self.dims}d"
        self._db = None
        if cache:
            base = Path(cache_dir) if cache_dir else sembridge_home() / "testdata"
            base.mkdir(parents=True, exist_ok=True)
            self.cache_path = base / f"pyembed-{self.fingerprint_short}.sqlite"
            self._db = sqlite3.connect(str(self.cache_path), timeout=60, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS vec (key BLOB PRIMARY KEY, v BLOB NOT NULL)")
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT)")
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (json.dumps(fp, sort_keys=True),))
            self._db.commit()
        # Counters for reports: texts served from the cache / computed.
        self.hits = 0
        self.computed = 0
        self.compute_seconds = 0.0

    # -- ONNX ----------------------------------------------------------------------------------
    def _find_output(self):
        outs = self.session.get_outputs()
        rank = {o.name: len(o.shape) for o in outs}
        if rank.get("sentence_embedding") == 2:
            return "sentence_embedding", True
        for name in ("last_hidden_state", "token_embeddings"):
            if rank.get(name) == 3:
                return name, False
        for o in outs:
            if len(o.shape) == 3:
                return o.name, False
        raise ValueError(f"{self.config.onnx_path}: no [batch, seq, dim] or [batch, dim] output")

    def _run_batch(self, encs) -> np.ndarray:
        b = len(encs)
        seq = max(1, max(len(e.ids) for e in encs))
        dtype = np.int32 if self.int32 else np.int64
        ids = np.zeros((b, seq), dtype=dtype)
        mask = np.zeros((b, seq), dtype=dtype)
        types = np.zeros((b, seq), dtype=dtype)
        for r, e in enumerate(encs):
            n = len(e.ids)
            ids[r, :n] = e.ids
            mask[r, :n] = e.attention_mask
            types[r, :n] = e.type_ids
        feed = {"input_ids": ids}
        if "attention_mask" in self.input_names:
            feed["attention_mask"] = mask
        if "token_type_ids" in self.input_names:
            feed["token_type_ids"] = types
        out = self.session.run([self.output_name], feed)[0].astype(np.float32)
        if self.pooled:
            v = out
        else:
            m = mask.astype(np.float32)[:, :, None]
            if self.config.pooling == "cls":
                v = out[:, 0, :]
            elif self.config.pooling == "max":
                masked = np.where(m > 0, out, -np.inf)
                v = masked.max(axis=1)
                v[~np.isfinite(v)] = 0.0
            else:
                v = (out * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        if self.config.normalize:
            v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        return v.astype(np.float32)

    def _plan_batches(self, lengths: Sequence[int]) -> list[list[int]]:
        order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
        batches, cur, longest = [], [], 0
        for i in order:
            n = max(lengths[i], 1)
            new_longest = max(longest, n)
            if cur and ((len(cur) + 1) * new_longest > TOKEN_BUDGET or len(cur) >= self.max_batch):
                batches.append(cur)
                cur, longest = [], 0
            longest = max(longest, n)
            cur.append(i)
        if cur:
            batches.append(cur)
        return batches

    def _embed_uncached(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), getattr(self, "dims", 0) or 1), dtype=np.float32)
        first = True
        for start in range(0, len(texts), WINDOW):
            window = list(texts[start:start + WINDOW])
            encs = self.tokenizer.encode_batch(window, add_special_tokens=True)
            for batch in self._plan_batches([len(e.ids) for e in encs]):
                with self._lock:
                    vecs = self._run_batch([encs[i] for i in batch])
                if first and out.shape[1] != vecs.shape[1]:
                    out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
                first = False
                for i, v in zip(batch, vecs):
                    out[start + i] = v
        return out

    # -- public --------------------------------------------------------------------------------
    def prepare(self, texts: Iterable[str], role: str) -> list[str]:
        """Lower-case (if the model says so) and prepend the role's prompt, as Rust does."""
        prompt = self.config.prompt_for(role)
        out = []
        for t in texts:
            if self.config.do_lower_case:
                t = t.lower()
            out.append(f"{prompt}{t}")
        return out

    def embed(self, texts: Sequence[str], role: str = "document") -> np.ndarray:
        """Embed texts (role "document" or "query"); returns float32 [n, dims]."""
        prepared = self.prepare(texts, role)
        if not prepared:
            return np.zeros((0, self.dims), dtype=np.float32)
        if self._db is None:
            t0 = time.perf_counter()
            v = self._embed_uncached(prepared)
            self.compute_seconds += time.perf_counter() - t0
            self.computed += len(prepared)
            return v
        keys = [hashlib.sha256(t.encode("utf-8")).digest() for t in prepared]
        found: dict[bytes, np.ndarray] = {}
        uniq = list(dict.fromkeys(keys))
        for i in range(0, len(uniq), 500):
            chunk = uniq[i:i + 500]
            q = "SELECT key, v FROM vec WHERE key IN (%s)" % ",".join("?" * len(chunk))
            for k, blob in self._db.execute(q, chunk):
                found[bytes(k)] = np.frombuffer(blob, dtype="<f4")
        missing_keys = [k for k in uniq if k not in found]
        if missing_keys:
            text_of = {k: t for k, t in zip(keys, prepared)}
            todo = [text_of[k] for k in missing_keys]
            t0 = time.perf_counter()
            vecs = self._embed_uncached(todo)
            self.compute_seconds += time.perf_counter() - t0
            self.computed += len(todo)
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)",
                                     [(k, v.astype("<f4").tobytes()) for k, v in zip(missing_keys, vecs)])
            for k, v in zip(missing_keys, vecs):
                found[k] = v
        self.hits += len(keys) - len(missing_keys)
        return np.stack([found[k] for k in keys]).astype(np.float32)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts, "document")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts, "query")


_SHARED: dict = {}


def shared_embedder(model_dir: os.PathLike | str | None = None) -> OnnxEmbedder:
    """One OnnxEmbedder per model folder per process."""
    key = str(Path(model_dir or default_model_dir()).expanduser().resolve())
    if key not in _SHARED:
        _SHARED[key] = OnnxEmbedder(key)
    return _SHARED[key]


# -- LangChain ---------------------------------------------------------------------------------
def langchain_embeddings(model_dir: os.PathLike | str | None = None):
    """A langchain_core.embeddings.Embeddings running the model through onnxruntime."""
    from langchain_core.embeddings import Embeddings

    class SembridgeOnnxEmbeddings(Embeddings):
        def __init__(self, embedder: OnnxEmbedder):
            self.embedder = embedder

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return self.embedder.embed_documents(list(texts)).tolist()

        def embed_query(self, text: str) -> list[float]:
            return self.embedder.embed_queries([text])[0].tolist()

    return SembridgeOnnxEmbeddings(shared_embedder(model_dir))


# -- Haystack ----------------------------------------------------------------------------------
_HAYSTACK_CLASSES: dict = {}


def _haystack_classes():
    if _HAYSTACK_CLASSES:
        return _HAYSTACK_CLASSES["doc"], _HAYSTACK_CLASSES["text"]
    from haystack import Document, component

    @component
    class SembridgeOnnxDocumentEmbedder:
        """Like SentenceTransformersDocumentEmbedder: embeds meta_fields_to_embed + content, joined by
        embedding_separator (empty parts left out, the result stripped, as sembridge/BEIR do)."""

        def __init__(self, model_dir: str | None = None, meta_fields_to_embed: Optional[list[str]] = None,
                     embedding_separator: str = " ", batch_size: int = 1024):
            self.model_dir = model_dir
            self.meta_fields_to_embed = list(meta_fields_to_embed or [])
            self.embedding_separator = embedding_separator
            self.batch_size = batch_size
            self.embedder = shared_embedder(model_dir)

        def text_of(self, doc: Document) -> str:
            parts = [str(doc.meta[f]) for f in self.meta_fields_to_embed if doc.meta.get(f)]
            if doc.content:
                parts.append(doc.content)
            return self.embedding_separator.join(parts).strip()

        @component.output_types(documents=list[Document])
        def run(self, documents: list[Document]):
            texts = [self.text_of(d) for d in documents]
            out = []
            for i in range(0, len(documents), self.batch_size):
                vecs = self.embedder.embed_documents(texts[i:i + self.batch_size])
                for d, v in zip(documents[i:i + self.batch_size], vecs):
                    out.append(dataclasses.replace(d, embedding=v.tolist()))
            return {"documents": out}

    @component
    class SembridgeOnnxTextEmbedder:
        """Like SentenceTransformersTextEmbedder: one query text -> embedding (query prompt applied)."""

        def __init__(self, model_dir: str | None = None):
            self.model_dir = model_dir
            self.embedder = shared_embedder(model_dir)

        @component.output_types(embedding=list[float])
        def run(self, text: str):
            return {"embedding": self.embedder.embed_queries([text])[0].tolist()}

    _HAYSTACK_CLASSES["doc"] = SembridgeOnnxDocumentEmbedder
    _HAYSTACK_CLASSES["text"] = SembridgeOnnxTextEmbedder
    return SembridgeOnnxDocumentEmbedder, SembridgeOnnxTextEmbedder


def haystack_document_embedder(model_dir=None, meta_fields_to_embed=None, embedding_separator=" "):
    cls, _ = _haystack_classes()
    return cls(model_dir=str(model_dir) if model_dir else None, meta_fields_to_embed=meta_fields_to_embed,
               embedding_separator=embedding_separator)


def haystack_text_embedder(model_dir=None):
    _, cls = _haystack_classes()
    return cls(model_dir=str(model_dir) if model_dir else None)


if __name__ == "__main__":
    e = OnnxEmbedder(sys.argv[1] if len(sys.argv) > 1 else None)
    print(json.dumps({"model": str(e.config.dir), "fingerprint": e.fingerprint_short, "dims": e.dims,
                      "pooling": e.config.pooling, "normalize": e.config.normalize,
                      "max_seq_length": e.config.max_seq_length, "prompts": e.config.prompts,
                      "cache": str(getattr(e, "cache_path", ""))}, indent=1))
