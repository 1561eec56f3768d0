"""Which documents a check reviews: files, folders and globs, less the policy's excluded paths."""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.check.policy import Policy
from app.document.formats import document_format
from app.errors import UserError

FOLDER_SUFFIXES = (".md", ".markdown")
_MAGIC = re.compile(r"[*?[]")


@dataclass(frozen=True)
class DocumentPath:
    """A document to check: where it is, how reports name it, and how to read it."""

    path: Path
    display: str  # relative to the working folder when inside it, with forward slashes

    @property
    def fmt(self) -> str:
        return document_format(self.path.name)


@lru_cache(maxsize=256)
def _pattern(glob_pattern: str) -> re.Pattern:
    """A path glob as a regex: `**` spans folders, `*` and `?` stay inside one."""
    out, i = [], 0
    while i < len(glob_pattern):
        if glob_pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob_pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            char = glob_pattern[i]
            out.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
            i += 1
    return re.compile("".join(out) + r"\Z")


def matches(relative: str, patterns: tuple[str, ...]) -> bool:
    """Whether a forward-slash path relative to the policy's root matches one of the globs."""
    return any(_pattern(p[2:] if p.startswith("./") else p).match(relative) for p in patterns)


def _display(path: Path, cwd: Path) -> str:
    absolute = path if path.is_absolute() else cwd / path
    try:
        return Path(os.path.normpath(absolute)).relative_to(cwd).as_posix()
    except ValueError:
        return Path(os.path.normpath(absolute)).as_posix()


def _expand(spec: str, base: Path) -> list[Path]:
    target = Path(spec) if Path(spec).is_absolute() else base / spec
    if _MAGIC.search(spec):
        found = sorted(Path(p) for p in glob.glob(str(target), recursive=True) if Path(p).is_file())
        if not found:
            raise UserError(f"no documents match {spec!r}")
        return found
    if target.is_dir():
        return sorted(p for p in target.rglob("*") if p.suffix.lower() in FOLDER_SUFFIXES and p.is_file()
                      and not any(part.startswith(".") for part in p.relative_to(target).parts))
    return [target]  # a missing file is reported as a document that could not be read


def collect_documents(specs: list[str], policy: Policy, cwd: Path) -> list[DocumentPath]:
    """The documents named on the command line, else the policy's include globs, less excluded ones."""
    base = cwd
    if not specs:
        if not policy.include:
            raise UserError("nothing to check: name documents, folders or globs, "
                            "or set include = [...] in .design-review.toml")
        specs, base = list(policy.include), policy.root
    seen, out = set(), []
    for spec in specs:
        for path in _expand(spec, base):
            key = os.path.normpath(path.resolve() if path.exists() else path.absolute())
            if key in seen or _excluded(path, policy):
                continue
            seen.add(key)
            out.append(DocumentPath(path, _display(path, cwd)))
    return out


def _excluded(path: Path, policy: Policy) -> bool:
    if not policy.exclude:
        return False
    try:
        relative = Path(os.path.normpath(path.absolute())).relative_to(policy.root.absolute()).as_posix()
    except ValueError:
        return False
    return matches(relative, policy.exclude)
