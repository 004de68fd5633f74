#!/usr/bin/env python3
"""Writes docs/scale.md (or --out) from the JSON results of bench/bench-scale.sh, and asks
bench/scale_plot.rs for one recall-vs-throughput SVG per engine next to it."""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys


def load(work, name):
    p = os.path.join(work, name)
    return json.load(open(p)) if os.path.exists(p) else None


def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), {mem} RAM, {platform.system()} {platform.release()}"


def rate(stderr_tail):
    """texts/s from sembridge embed's last log line."""
    for tok in zip(stderr_tail.split(), stderr_tail.split()[1:]):
        if tok[1].startswith("texts/s"):
            return float(tok[0])
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--corpus-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--label", default="")
    ap.add_argument("--targets", required=True)
    ap.add_argument("--threads", default="")
    ap.add_argument("--model", default="")
    a = ap.parse_args()
    w = a.work
    counts = load(a.corpus_dir, "counts.json") or {}
    L = []
    L += ["# sembridge at scale", ""]
    if a.label:
        L += [f"> **{a.label}**", ""]
    L += [
          f"Written by `bench/bench-scale.sh --corpus {a.corpus_dir.replace(os.path.expanduser('~'), '~')}` on "
          f"{datetime.date.today().isoformat()}; machine: {machine()}. Model `{a.model}`, "
          f"{a.threads} threads. Every figure below comes from that one run (its JSON results are in "
          f"the corpus folder's `bench/`).", ""]
    if counts:
        L += [f"Corpus: {counts.get('corpus_docs')} documents, {counts.get('queries')} held-out queries, "
              f"mean {counts.get('corpus_mean_words')} words; sources "
              + ", ".join(f"{k} {v}" for k, v in sorted(counts.get("corpus_by_source", {}).items(), key=lambda t: -t[1]))
              + ".", ""]

    ec, es, ep = load(w, "embed-corpus.json"), load(w, "embed-sample-sembridge.json"), load(w, "embed-peer.json")
    L += ["## Embedding", ""]
    if ec:
        L.append(f"- Whole corpus: {rate(ec['stderr_tail']) or 0:.1f} docs/s, {ec['wall_secs']:.0f} s, "
                 f"peak RSS {ec['peak_rss_mib']:.0f} MiB (`sembridge embed`).")
    if es and ep:
        r_sb, r_py = rate(es["stderr_tail"]), (ep["out"] or {}).get("docs_per_sec") or (ep["out"] or {}).get("texts_per_sec")
        peer = ep["out"] or {}
        L.append(f"- Same sample, one after the other: sembridge {r_sb:.1f} docs/s vs Python onnxruntime "
                 f"length-sorted peer {r_py if r_py is None else round(r_py, 1)} docs/s"
                 + (f": ratio {r_sb / r_py:.2f}x (target >= 1.3x)" if r_sb and r_py else "")
                 + f". Peer's own report: `{json.dumps(peer)[:300]}`")
    L.append("")

    ex, nc = load(w, "exact.json"), load(w, "exact-numpy.json")
    q1, q100 = load(w, "exact-q1.json"), load(w, "exact-q100.json")
    L += ["## Exact search (ground truth)", ""]
    if ex:
        o = ex["out"]
        L.append(f"- `sembridge exact` top-{o.get('k')} of {o.get('queries')} queries over {o.get('vectors')} vectors: "
                 f"search {o.get('search_secs', 0):.2f} s ({o.get('queries') / max(o.get('search_secs', 1e-9), 1e-9):.0f} queries/s), "
                 f"process {ex['wall_secs']:.1f} s, peak RSS {ex['peak_rss_mib']:.0f} MiB.")
    if q1 and q100 and nc:
        s1, s100 = q1["out"]["search_secs"], q100["out"]["search_secs"]
        L.append(f"- 1 query: sembridge {s1 * 1e3:.1f} ms vs numpy {nc['numpy_secs_1_query'] * 1e3:.1f} ms; "
                 f"100 queries: sembridge {s100:.3f} s ({100 / s100:.0f} q/s) vs numpy {nc['numpy_secs_100_queries']:.3f} s "
                 f"({100 / nc['numpy_secs_100_queries']:.0f} q/s) (numpy {nc['numpy_version']}: matrix in RAM and "
                 f"normalized beforehand, best of 3; sembridge: the search part of one `exact` process, store memory-mapped).")
    if nc:
        L.append(f"- numpy check on {nc['queries_checked']} queries: top-10 sets agree {nc['top10_sets_agree']}, "
                 f"top-100 sets agree {nc['top100_sets_agree']} ({nc['tie_only_differences']} differ only by ties at the cut), "
                 f"max score difference {nc['max_abs_score_diff']:.2e}.")
    L.append("")

    targets = [t.split(":") for t in a.targets.split(",")]
    L += ["## Ingest from the store (`--vectors-from`)", "",
          "docs/s = documents / (ingest process wall time + the refresh after it); the ceiling is "
          "bench/bench_ingest_python.py --prebuilt into a copy of the index (bulk bodies serialized "
          "before the clock, plain HTTP, 500 docs x 4 in flight like sembridge's defaults, create + bulk + "
          "refresh). Size: primary store after the force merge to one segment. Heap: the engine JVM after it.", "",
          "| engine | index type | docs | docs/s | ceiling docs/s | ratio | refresh s | force-merge s | size MiB | client RSS MiB small / all | heap used / max MiB |",
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for eng, typ in targets:
        key = f"{eng}-{typ}"
        run, small, ing, ceil = (load(w, f"ingest-{key}-run.json"), load(w, f"ingest-{key}-small.json"),
                                 load(w, f"ingest-{key}.json"), load(w, f"ingest-{key}-ceiling.json"))
        if not (run and ing):
            L.append(f"| {eng} | {typ} | not run | | | | | | | | |")
            continue
        dps = ing["count"] / (run["wall_secs"] + ing["refresh_secs"])
        cdps = ceil["docs_per_sec"] if ceil else None
        if ceil and ceil.get("indexed", 0) + ceil.get("failed", 0) != ing["count"]:
            typ = f"{typ} (ceiling on {ceil.get('indexed')} docs)"
        small_docs = small["out"]["indexed"] if small and small.get("out") and "indexed" in small["out"] else ""
        L.append(f"| {eng} {ing['version']} | {typ} | {ing['count']} | {dps:.0f} | "
                 f"{cdps:.0f} | {dps / cdps:.2f} | " if cdps else f"| {eng} {ing['version']} | {typ} | {ing['count']} | {dps:.0f} | - | - | ")
        L[-1] += (f"{ing['refresh_secs']:.1f} | {ing['forcemerge_secs']:.1f} | {ing['size_bytes'] / 2**20:.0f} | "
                  f"{small['peak_rss_mib'] if small else 0:.0f} ({small_docs}) / {run['peak_rss_mib']:.0f} | "
                  f"{ing['heap_used'] / 2**20:.0f} / {ing['heap_max'] / 2**20:.0f} |")
    L.append("")

    L += ["## Recall against exact search, per num_candidates", "",
          "`sembridge eval --sweep` over all the queries; recall@10 at k = 10, recall@100 from a second pass "
          "at k = 100 (needs num_candidates >= 100); latency of the k = 10 pass, one query at a time, "
          "query embedding excluded; QPS = 1000 / p50.", ""]
    series = []
    summary = []
    for eng, typ in targets:
        key = f"{eng}-{typ}"
        ev = load(w, f"eval-{key}.json")
        if not ev:
            continue
        rep = ev["out"]
        L += [f"### {eng} `{typ}`", "", "| num_candidates | recall@10 | recall@100 | p50 ms | p95 ms | p99 ms | QPS (1/p50) |",
              "|---:|---:|---:|---:|---:|---:|---:|"]
        pts = []
        for s in rep["sweep"]:
            r100 = "-" if s.get("ann_recall_at100") is None else f"{s['ann_recall_at100']:.4f}"
            L.append(f"| {s['candidates']} | {s['ann_recall_at10']:.4f} | {r100} | {s['latency_p50_ms']:.2f} | "
                     f"{s['latency_p95_ms']:.2f} | {s.get('latency_p99_ms', 0):.2f} | {1000 / s['latency_p50_ms']:.0f} |")
            pts.append(s)
        for bar in (0.95, 0.99):
            hit = next((s for s in pts if s["ann_recall_at10"] >= bar), None)
            summary.append((eng, typ, bar, hit))
        L.append("")
        series.append({"engine": eng, "name": f"{eng} {typ}", "points": [
            {"x": 1000 / s["latency_p50_ms"], "recall": s["ann_recall_at10"], "label": str(s["candidates"])} for s in pts]})
    if summary:
        L += ["### Smallest num_candidates reaching recall@10 >= 0.95 / 0.99", "",
              "| engine | index type | bar | num_candidates | recall@10 | p50 ms |", "|---|---|---:|---:|---:|---:|"]
        for eng, typ, bar, s in summary:
            if s:
                L.append(f"| {eng} | {typ} | {bar} | {s['candidates']} | {s['ann_recall_at10']:.4f} | {s['latency_p50_ms']:.2f} |")
            else:
                L.append(f"| {eng} | {typ} | {bar} | not reached | | |")
        L.append("")

    # One plot per engine, drawn by the plotting code of `eval --plot`.
    out_dir = os.path.dirname(os.path.abspath(a.out))
    stem = os.path.splitext(os.path.basename(a.out))[0]
    plots = []
    for eng in sorted({s["engine"] for s in series}):
        spec = os.path.join(w, f"plot-{eng}.json")
        json.dump([s for s in series if s["engine"] == eng], open(spec, "w"))
        svg = os.path.join(out_dir, f"{stem}-{eng}.svg")
        plotter = os.environ.get("SCALE_PLOT_BIN")
        cmd = [plotter] if plotter else ["cargo", "run", "--release", "--quiet", "--example", "scale_plot", "--"]
        try:
            r = subprocess.run(cmd + [spec, svg, f"{eng}: kNN recall@10 vs queries/s (one client)"],
                               cwd=os.path.join(os.path.dirname(__file__), ".."))
        except OSError as e:
            print(f"no plot for {eng}: {e}", file=sys.stderr)
            continue
        if r.returncode == 0:
            plots.append(os.path.basename(svg))
    if plots:
        L += ["## Plots", ""] + [f"![{p}]({p})" for p in plots] + [""]
    open(a.out, "w").write("\n".join(L))
    print("\n".join(L))


if __name__ == "__main__":
    main()
