"""Install and start-up: what a pre-commit hook, a CI step or a new user pays before the first review.

Prints medians (the machine may be shared: they are what to compare) of:
- a cold command line, a new process each run: `design-review --help`; `review` of a 20-line design
  and of bench/speed.py's ~2,000-word design (unseen, every run); `check` of 20 designs (one process);
- the server: seconds from start until /healthz answers 200, and its memory (RSS, with the embedding
  process) after one review;
- with --install: a fresh virtual environment with a plain `pip install .` (the wheel from this
  checkout and its dependencies from the index), its time and size, and whether torch is in it.

Usage: python bench/startup.py [--runs 5] [--install]   (from a checkout with an ingested store)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from labels import ROOT
from speed import design, free_port

BIN = Path(sys.executable).parent
SHORT = "\n".join((ROOT / "examples" / "recsys_design.md").read_text().splitlines()[:20]) + "\n"


def timed(command: list[str], env: dict, cwd: Path) -> float:
    """Seconds one command took; it must succeed."""
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):  # check exits 1 when a design fails the policy
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-800:]}")
    return seconds


def median_of(label: str, limit: float, runs: int, run) -> None:
    samples = [run(k) for k in range(runs)]
    mid = statistics.median(samples)
    print(f"{label:48s} {mid:6.2f} s  (target <= {limit} s; runs {', '.join(f'{s:.2f}' for s in samples)})")


def command_line(runs: int, env: dict, work: Path) -> None:
    tool = str(BIN / "design-review")
    (work / "short.md").write_text(SHORT)
    median_of("design-review --help", 0.3, runs, lambda k: timed([tool, "--help"], env, work))
    median_of("review, 20-line design", 0.8, runs, lambda k: timed([tool, "review", "short.md"], env, work))

    def long_review(k: int) -> float:
        (work / f"long{k}.md").write_text(design(f"startup{k}x{time.time_ns()}"))
        return timed([tool, "review", f"long{k}.md"], env, work)

    median_of("review, ~2,000-word design (unseen)", 1.5, runs, long_review)
    designs = sorted((ROOT.parent / "shared" / "eval" / "dev").glob("*.md"))[:20]
    folder = work / "docs"
    folder.mkdir()
    for k in range(20):
        source = designs[k % len(designs)] if designs else ROOT / "examples" / "recsys_design.md"
        (folder / f"d{k:02d}.md").write_text(source.read_text() + f"\n\nRevision {k}.\n")
    median_of("check of 20 designs (total)", 6.0, max(1, runs // 2),
              lambda k: timed([tool, "check", "--no-exit", "--allow-outside-repo", "docs"], env, work))


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, MB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return total / 1024


def server(runs: int, env: dict, work: Path) -> None:
    def start(k: int) -> float:
        port = free_port()
        began = time.perf_counter()
        proc = subprocess.Popen([str(BIN / "design-review"), "serve", "--port", str(port)], env=env, cwd=work,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.perf_counter() - began > 60:
                    raise SystemExit("the server did not start")
                time.sleep(0.02)
            ready = time.perf_counter() - began
            if k == 0:
                httpx.post(f"{url}/v1/reviews", json={"document": design("rss")}, timeout=60).raise_for_status()
                print(f"{'server RSS with its worker, after one review':48s} {rss_mb(proc.pid):6.0f} MB (target <= 400 MB)")
            return ready
        finally:
            proc.terminate()
            proc.wait(timeout=20)

    median_of("server ready after start (/healthz 200)", 2.0, runs, start)


def install(work: Path) -> None:
    """A plain `pip install .` into a fresh virtual environment, with the index pip is set up for."""
    env_dir = work / "fresh"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    pip = [str(env_dir / "bin" / "python"), "-m", "pip"]
    subprocess.run([*pip, "install", "--quiet", "--upgrade", "pip"], check=True)
    start = time.perf_counter()
    subprocess.run([*pip, "install", "--quiet", "--no-cache-dir", str(ROOT)], check=True, cwd=work)
    seconds = time.perf_counter() - start
    size = int(subprocess.run(["du", "-sm", str(env_dir)], capture_output=True, text=True).stdout.split()[0])
    listed = subprocess.run([*pip, "list", "--format=freeze"], capture_output=True, text=True).stdout.lower()
    heavy = [n for n in ("torch", "transformers", "sentence-transformers", "scikit-learn")
             if any(line.startswith(f"{n}==") for line in listed.splitlines())]
    print(f"{'fresh venv, pip install . (no cache)':48s} {seconds:6.1f} s  (target <= 60 s)")
    print(f"{'fresh venv size':48s} {size:6d} MB (target <= 900 MB)")
    print(f"{'torch, transformers, sentence-transformers, sklearn':48s} {', '.join(heavy) or 'none installed'}")
    tool = env_dir / "bin" / "design-review"
    (work / "short.md").write_text(SHORT)
    done = subprocess.run([str(tool), "review", "short.md"], cwd=work, capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if not k.startswith("DESIGN_REVIEW_")})
    print(f"{'its first review (ingests the packaged corpus)':48s} exit {done.returncode}"
          + (f": {done.stderr[-300:]}" if done.returncode else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--install", action="store_true", help="also time a fresh `pip install .`")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DESIGN_REVIEW_", "OPENAI_"))}
    env.update(DESIGN_REVIEW_STORE_PATH=str(ROOT / ".design-review" / "chroma"),
               DESIGN_REVIEW_CORPUS_DIR=str(ROOT / "corpus"),
               DESIGN_REVIEW_DATABASE_URL="sqlite:///:memory:")
    subprocess.run([str(BIN / "design-review"), "ingest", "--quiet"], env=env, check=True, capture_output=True)
    work = Path(tempfile.mkdtemp(prefix="startup-"))
    try:
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; medians of {args.runs}")
        command_line(args.runs, env, work)
        server(args.runs, env, work)
        if args.install:
            install(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
