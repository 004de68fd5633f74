#!/usr/bin/env python3
"""The embedding pool's bench (issue 22), driven by bench/bench-embed.sh `pool` and by
bench/device-embed.sh: documents per second of `sembridge embed` for N x T layouts
(`--embed-workers N --threads T`) and for the default flags, against the Python multi-process peer
(bench/bench_embed_python.py --procs P: P processes, each its own onnxruntime session, corpus
split, length-sorted batches of 32), and optionally against a base binary with its own default flags
(today's single session), all in one run, rounds interleaved (every configuration once per round,
best of the rounds), so that load on the machine hits them alike. Prints a markdown table.

  bench_embed_pool.py --bin SEMBRIDGE [--base-bin OLD] --corpus corpus.jsonl [--limit 1500]
      --model NAME=DIR [--model NAME=DIR ...] [--configs "1x2 2x1 default"] [--peers "2x1"]
      [--rounds 2] [--python PY] [--json OUT]

sembridge's figure is the one `sembridge embed` prints (texts/s from the first document read to the
store written, model loading not counted); the peer's excludes session loading likewise.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RATE = re.compile(r"([\d.]+) texts/s")


def run_sembridge(binary, model, corpus, out, flags):
    cmd = [binary, "embed", "--model", model, "--input", corpus, "--output", out, *flags]
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
    line = [l for l in p.stderr.splitlines() if l.startswith("embedded ")]
    m = RATE.search(line[-1]) if line else None
    if not m:
        sys.exit(f"no texts/s in the output of {' '.join(cmd)}:\n{p.stderr[-2000:]}")
    layout = re.search(r"\((\d+ workers? x \d+ threads?)\)", line[-1])
    return float(m.group(1)), wall, layout.group(1) if layout else "1 session (base)"


def run_peer(python, model, corpus, limit, procs, threads, rounds):
    cmd = [python, os.path.join(HERE, "bench_embed_python.py"), "ort", "--model", model,
           "--corpus", corpus, "--limit", str(limit), "--threads", str(threads),
           "--procs", str(procs), "--sort", "--repeat", str(rounds)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def parse_config(c):
    if c == "default":
        return c, []
    n, t = c.split("x")
    return c, ["--embed-workers", n, "--threads", t]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--base-bin")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--limit", type=int, default=1500)
    ap.add_argument("--model", action="append", required=True, help="NAME=DIR")
    ap.add_argument("--configs", default="1x2 2x1 default")
    ap.add_argument("--peers", default="")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--json")
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-embed-pool-")
    corpus = os.path.join(tmp, "corpus.jsonl")
    n = 0
    with open(a.corpus, encoding="utf-8") as src, open(corpus, "w", encoding="utf-8") as dst:
        for line in src:
            if line.strip() and n < a.limit:
                dst.write(line)
                n += 1
    configs = [parse_config(c) for c in a.configs.split()]
    rows = []
    cores = len(os.sched_getaffinity(0))
    print(f"# {n} SciFact documents, {cores} cores, best of {a.rounds} rounds", file=sys.stderr)
    for spec in a.model:
        name, model = spec.split("=", 1)
        best = {}
        for r in range(a.rounds):
            runs = [(label, a.bin, flags) for label, flags in configs]
            if a.base_bin:
                runs.append(("base default", a.base_bin, []))
            # alternate the order between rounds: no configuration always runs first
            if r % 2:
                runs.reverse()
            for label, binary, flags in runs:
                rate, wall, layout = run_sembridge(binary, model, corpus, os.path.join(tmp, "out.sbv"), flags)
                print(f"  {name} {label:13} round {r + 1}: {rate:8.1f} docs/s ({layout})", file=sys.stderr)
                old = best.get(label)
                if old is None or rate > old["docs_per_sec"]:
                    best[label] = {"model": name, "impl": "sembridge", "config": label, "layout": layout,
                                   "docs_per_sec": rate, "wall_secs": wall}
                best[label].setdefault("runs", []).append(rate)
        rows.extend(best.values())
        for peer in a.peers.split():
            procs, threads = (int(x) for x in peer.split("x"))
            res = run_peer(a.python, model, corpus, n, procs, threads, a.rounds)
            print(f"  {name} python {peer}: {res['texts_per_sec']:.1f} docs/s", file=sys.stderr)
            rows.append({"model": name, "impl": "python", "config": peer,
                         "layout": f"{procs} processes x {threads} threads",
                         "docs_per_sec": res["texts_per_sec"], "runs": [res["texts"] / s for s in res["runs"]],
                         "startup_secs": res["load_secs"], "version": res["version"]})

    print(f"\n{n} SciFact documents, {cores} cores, best of {a.rounds} rounds (interleaved)\n")
    print("| model | implementation | configuration | layout | docs/s | runs | default / this |")
    print("|---|---|---|---|---:|---|---:|")
    for spec in a.model:
        name = spec.split("=", 1)[0]
        mine = [r for r in rows if r["model"] == name]
        default = next((r for r in mine if r["impl"] == "sembridge" and r["config"] == "default"), None)
        for r in mine:
            ratio = f"{default['docs_per_sec'] / r['docs_per_sec']:.2f}x" if default and r is not default else ""
            runs = ", ".join(f"{x:.1f}" for x in r["runs"])
            impl = "sembridge" if r["impl"] == "sembridge" else "Python onnxruntime, multi-process"
            print(f"| {name} | {impl} | {r['config']} | {r['layout']} | {r['docs_per_sec']:.1f} | {runs} | {ratio} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
