"""The labelled design documents the scorer is fitted and measured on.

Sets (each a folder of `<stem>.json` labels; see training/LABELLING.md):
- `designs`  training/designs/, synthetic designs written here (texts beside the labels)
- `designs2` training/designs2/, 28 more synthetic designs, labelled by other helpers; not in the
             default fit (training/LABELLING.md says why): `--sets designs,real,dev,real-dev,designs2`
- `real`     training/real/, public design documents by pointer (texts restored with
             training/restore.py into --real-texts, default /tmp/design-review-real)
- `dev`      ../shared/eval/dev, synthetic (texts beside the labels)
- `real-dev` ../shared/eval/real-dev, public by pointer (texts restored into --real-dev-texts)
- `pitfalls` ../shared/eval/pitfalls, and `pitfall-cases` training/pitfalls/ (short designs)
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "eval"
FOLDERS = {"designs": ROOT / "training" / "designs", "designs2": ROOT / "training" / "designs2",
           "real": ROOT / "training" / "real",
           "pitfall-cases": ROOT / "training" / "pitfalls", "dev": SHARED / "dev",
           "real-dev": SHARED / "real-dev", "pitfalls": SHARED / "pitfalls"}
TEXTS = {"real": Path("/tmp/design-review-real"), "real-dev": Path("/tmp/design-review-real-dev")}
CREDIT = {"covered": 1.0, "partial": 0.5, "missing": 0.0, "not_applicable": 0.0}


@dataclass
class Labelled:
    """A labelled design: its text and its labels."""

    set: str
    name: str
    text: str
    label: dict
    topics: set[str] = field(default_factory=set)

    def status(self, item_id: str) -> str:
        if item_id in self.label.get("covered", []):
            return "covered"
        if item_id in self.label.get("partial", []):
            return "partial"
        if item_id in self.label.get("not_applicable", []):
            return "not_applicable"
        return "missing"

    @property
    def words(self) -> int:
        return len(self.text.split())


def load_set(name: str, texts: Path | None = None) -> list[Labelled]:
    """The documents of one set; public texts come from `texts` (restored), checked by sha256."""
    folder = FOLDERS[name]
    if not folder.is_dir():
        sys.exit(f"no labelled set at {folder}")
    out = []
    for path in sorted(folder.glob("*.json")):
        label = json.loads(path.read_text())
        if "sha256" in label:  # public: restored outside the project
            source = (texts or TEXTS[name]) / f"{path.stem}.md"
            if not source.is_file():
                print(f"skipping {name}/{path.stem}: restore the texts (training/restore.py) into "
                      f"{source.parent}", file=sys.stderr)
                continue
            data = source.read_bytes()
            if hashlib.sha256(data).hexdigest() != label["sha256"]:
                print(f"skipping {name}/{path.stem}: the restored text does not match its sha256", file=sys.stderr)
                continue
            text = data.decode("utf-8")
        else:
            text = path.with_suffix(".md").read_text()
        out.append(Labelled(name, path.stem, text, label, set(label.get("topics", []))))
    return out
