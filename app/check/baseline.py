"""Baselines: what an earlier version of each document had, from a git ref or a previous JSON report."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Callable, Protocol

from app.check.findings import Previous
from app.check.paths import DocumentPath
from app.errors import UserError
from app.review.model import SEVERITY_RANK

Reviewer = Callable[[bytes, DocumentPath], "Previous | None"]


class Baseline(Protocol):
    label: str

    def previous(self, doc: DocumentPath, review_old: Reviewer) -> Previous | None: ...


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=60)
    except FileNotFoundError:
        raise UserError("--baseline needs git, which is not installed") from None


class GitBaseline:
    """Each document as it was at a git ref (`git show REF:path`), reviewed again for comparison."""

    def __init__(self, ref: str, cwd: Path) -> None:
        top = _git(["rev-parse", "--show-toplevel"], cwd)
        if top.returncode != 0:
            raise UserError(f"--baseline {ref}: {cwd} is not inside a git repository")
        self.top = Path(top.stdout.decode().strip()).resolve()
        commit = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
        if commit.returncode != 0:
            raise UserError(f"--baseline: '{ref}' is not a commit in this repository "
                            "(in CI, fetch enough history: actions/checkout with fetch-depth: 0)")
        self.commit = commit.stdout.decode().strip()
        self.label = f"git {ref} ({self.commit[:12]})"

    def read(self, path: Path) -> bytes | None:
        """The document's bytes at the ref, or None when it did not exist there."""
        try:
            relative = path.resolve().relative_to(self.top).as_posix()
        except ValueError:
            return None
        shown = _git(["show", f"{self.commit}:{relative}"], self.top)
        return shown.stdout if shown.returncode == 0 else None

    def previous(self, doc: DocumentPath, review_old: Reviewer) -> Previous | None:
        data = self.read(doc.path)
        return None if data is None else review_old(data, doc)


class FileBaseline:
    """A previous `design-review check --format json` report, matched by document path."""

    def __init__(self, path: Path) -> None:
        self.label = f"report {path}"
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
            self._documents = {d["path"]: _previous(d) for d in report["documents"] if d.get("status") != "error"}
        except FileNotFoundError:
            raise UserError(f"--baseline-file {path} does not exist") from None
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise UserError(f"--baseline-file {path} is not a 'design-review check --format json' report "
                            f"({type(exc).__name__}: {exc})") from None

    def previous(self, doc: DocumentPath, review_old: Reviewer) -> Previous | None:
        return self._documents.get(doc.display)


def _previous(document: dict) -> Previous:
    severities = {}
    for f in document["findings"]:
        if f["severity"] not in SEVERITY_RANK:
            raise ValueError(f"unknown severity {f['severity']!r}")
        severities[str(f["key"])] = f["severity"]
    return Previous(severities, float(document["overall"]["score"]))
