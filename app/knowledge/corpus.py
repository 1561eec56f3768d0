"""The corpus on disk: markdown files with YAML front matter, cut into one section per id."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from app.errors import CorpusError

_ID_HEADING = re.compile(r"^##\s+(?P<title>.*?)\s*\{#(?P<id>[a-z_]+(?:\.[a-z_]+)?)\}\s*$")


@dataclass(frozen=True)
class Section:
    """One part of a corpus file's body: an id's guidance, or the file's introduction."""

    source: str
    anchor: str
    heading: str
    text: str

    @property
    def ref(self) -> str:
        return f"{self.source}#{self.anchor}"


@dataclass(frozen=True)
class CorpusFile:
    """A parsed corpus file: its front matter and body sections."""

    source: str
    meta: dict
    sections: tuple[Section, ...]
    sha256: str


# libyaml's safe loader where PyYAML was built with it (the wheels are): the same data, 15x faster
# than the pure-Python one, which spent ~0.2 s of every start on the corpus's front matter.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def split_front_matter(text: str, source: str) -> tuple[dict, str]:
    """Return (front matter, body) of a markdown file that starts with a --- YAML block."""
    if not text.startswith("---"):
        raise CorpusError(f"{source}: no front matter (the file must start with '---')")
    end = text.find("\n---", 3)
    if end < 0:
        raise CorpusError(f"{source}: front matter is not closed by a '---' line")
    try:
        meta = yaml.load(text[3:end], Loader=_SAFE_LOADER) or {}
    except yaml.YAMLError as exc:
        raise CorpusError(f"{source}: front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise CorpusError(f"{source}: front matter must be a mapping")
    return meta, text[end + 4 :].lstrip("\n")


def split_sections(body: str, source: str, file_id: str) -> tuple[Section, ...]:
    """Cut a body at its `## Title {#id}` headings; text before the first one is the intro."""
    sections: list[Section] = []
    anchor, heading, lines = file_id, "", []

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            sections.append(Section(source, anchor, heading, text))

    for line in body.splitlines():
        match = _ID_HEADING.match(line)
        if match:
            flush()
            anchor, heading, lines = match["id"], match["title"], []
        else:
            lines.append(line)
    flush()
    return tuple(sections)


def read_corpus(corpus_dir: Path) -> list[CorpusFile]:
    """Read every markdown file of the corpus that has front matter, in a stable order."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist")
    files = []
    for path in sorted(corpus_dir.rglob("*.md")):
        if path.name == "README.md":
            continue
        raw = path.read_text(encoding="utf-8")
        source = f"corpus/{path.relative_to(corpus_dir).as_posix()}"
        meta, body = split_front_matter(raw, source)
        file_id = str(meta.get("id") or meta.get("kind") or path.stem)
        files.append(
            CorpusFile(source, meta, split_sections(body, source, file_id),
                       hashlib.sha256(raw.encode()).hexdigest())
        )
    if not files:
        raise CorpusError(f"corpus folder {corpus_dir} holds no markdown files")
    return files


def corpus_version(files: list[CorpusFile]) -> str:
    """A short hash over every corpus file's name and content."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.source.encode())
        digest.update(f.sha256.encode())
    return digest.hexdigest()[:12]
