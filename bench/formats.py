"""Conversion of 5 MB Word and PDF files: time (p50, p95) and the converting process's peak memory.

Each file holds the twelve designs of ../shared/eval/dev (about 21,000 words) and pictures, as a
real design's diagrams and screenshots make a file large, up to 5 MB. The conversion is the
service's own (app/document/convert.py: a child process under its limits). Targets: p50 <= 2 s,
<= 300 MB of memory beyond the service. Usage: python bench/formats.py [--runs 7] [--mb 5]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from app.document.convert import convert_file  # noqa: E402
from exports import to_docx, to_pdf  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "dev"


def picture(seed: int, size: int = 400) -> bytes:
    """A PNG that does not compress (noise), like a screenshot or a photo."""
    from PIL import Image

    image = Image.frombytes("RGB", (size, size), os.urandom(size * size * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def designs() -> str:
    return "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(DEV.glob("*.md")))


def docx_of(target: int) -> bytes:
    """The designs as a .docx, with pictures added until it reaches `target` bytes."""
    import docx

    document = docx.Document(io.BytesIO(to_docx(designs())))
    n = 0
    while True:
        buffer = io.BytesIO()
        document.save(buffer)
        if len(buffer.getvalue()) >= target:
            return buffer.getvalue()
        document.add_picture(io.BytesIO(picture(n)))
        n += 1


def pdf_of(target: int) -> bytes:
    pictures, data = [], to_pdf(designs())
    while len(data) < target:
        pictures.append(picture(len(pictures)))
        data = to_pdf(designs(), images=pictures)
    return data


def measure(name: str, data: bytes, fmt: str, runs: int) -> tuple[float, float, int]:
    times, peaks = [], []
    for _ in range(runs):
        started = time.perf_counter()
        converted = convert_file(data, fmt)
        times.append(time.perf_counter() - started)
        peaks.append(converted.peak_rss_kb)
    p50 = statistics.median(times)
    p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
    peak_mb = max(peaks) // 1024
    words = len(converted.text.split())
    print(f"{name:<6} {len(data) / 1e6:5.2f} MB  {words:>6} words  p50 {p50:5.2f} s  p95 {p95:5.2f} s  "
          f"peak memory {peak_mb} MB (the converting process; the service itself grows by none of it)")
    return p50, p95, peak_mb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--mb", type=float, default=5.0)
    args = parser.parse_args()
    target = int(args.mb * 1_000_000)
    ok = True
    for name, data, fmt in (("docx", docx_of(target), "docx"), ("pdf", pdf_of(target), "pdf")):
        p50, _, peak = measure(name, data, fmt, args.runs)
        ok &= p50 <= 2.0 and peak <= 300
    print("targets (p50 <= 2 s, <= 300 MB):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
