"""A check run: review every document, judge it under the policy, compare it with a baseline."""

from __future__ import annotations

import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.check.baseline import Baseline
from app.check.findings import DocumentResult, Previous, compare, evaluate, settle
from app.check.paths import DocumentPath, collect_documents
from app.check.policy import Policy
from app.check.sections import locate_sections
from app.check.sources import Source, ToolInfo
from app.check.waivers import parse_waivers
from app.document.convert import Limits, convert_file
from app.document.formats import FILE_FORMATS, format_for_name
from app.document.parse import decode_document
from app.errors import DocumentTooLarge, UserError
from app.knowledge.rubric import Rubric


@dataclass
class CheckReport:
    """Everything every output format renders."""

    tool: ToolInfo
    rubric: Rubric
    policy: Policy
    documents: list[DocumentResult]
    baseline: str | None = None
    elapsed_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[DocumentResult]:
        return [d for d in self.documents if d.error]

    @property
    def failed(self) -> list[DocumentResult]:
        return [d for d in self.documents if d.status == "fail"]

    @property
    def exit_code(self) -> int:
        """2 when a document could not be reviewed, 1 when one fails, else 0."""
        return 2 if self.errors else (1 if self.failed else 0)


def known_ids(rubric: Rubric) -> set[str]:
    """Every id a waiver may name."""
    return ({i.id for i in rubric.items()} | {g.id for g in (*rubric.stages, *rubric.topics)}
            | {p.id for p in rubric.pitfalls})


class Checker:
    """Reviews and judges documents with one source, rubric and policy."""

    def __init__(self, source: Source, policy: Policy, baseline: Baseline | None = None,
                 reading: Reading | None = None) -> None:
        self.source, self.policy, self.baseline = source, policy, baseline
        self.reading = reading or Reading(Path.cwd())
        self._known = known_ids(source.rubric)

    def judge(self, data: bytes, doc: DocumentPath) -> DocumentResult:
        """Review one document's bytes and evaluate the review; raises DesignReviewError."""
        if doc.fmt in FILE_FORMATS:  # the review converts the file; waivers and sections read its markdown
            review = self.source.review(data, doc.fmt, self.policy.topics_on)
            text, fmt = convert_file(data, doc.fmt).text, "markdown"
        else:
            text, fmt = decode_document(data), doc.fmt
            review = self.source.review(text, fmt, self.policy.topics_on)
        waivers, problems = parse_waivers(text, self._known)
        sections = locate_sections(text, fmt, review, self.source.rubric)
        return evaluate(doc.display, review, self.source.rubric, self.policy, waivers, problems, sections)

    def _review_old(self, data: bytes, doc: DocumentPath) -> Previous | None:
        try:
            old = self.judge(data, doc)
        except UserError:
            return None  # an earlier version that cannot be reviewed counts as absent
        return Previous({f.key: f.severity for f in old.findings}, old.score)

    def check(self, doc: DocumentPath) -> DocumentResult:
        try:
            data = self.reading.read(doc.path)
        except FileNotFoundError:
            return DocumentResult(doc.display, error="no such file")
        except UserError as exc:
            return DocumentResult(doc.display, error=str(exc))
        except OSError as exc:
            return DocumentResult(doc.display, error=f"cannot read the file: {exc.strerror or exc}")
        try:
            result = self.judge(data, doc)
        except UserError as exc:  # the document's fault; a missing store or a dead API stops the run
            return DocumentResult(doc.display, error=str(exc))
        if self.baseline is not None:
            compare(result, self.baseline.previous(doc, self._review_old), self.policy)
        settle(result, self.policy)
        return result


class Reading:
    """How `check` reads a document: inside the repository, a regular file, within the size limit,
    all checked before a byte is read (a symlink to a secret or to /dev/zero is refused)."""

    def __init__(self, cwd: Path, max_bytes: int = 1_000_000, allow_outside: bool = False) -> None:
        self.root = repository_root(cwd)
        self.max_bytes = max_bytes
        self.allow_outside = allow_outside

    def read(self, path: Path) -> bytes:
        real = path.resolve()
        if not self.allow_outside and not real.is_relative_to(self.root):
            raise UserError(f"it resolves outside the repository ({self.root}): check it with "
                            "--allow-outside-repo if that is meant")
        info = real.stat()
        if not stat.S_ISREG(info.st_mode):
            raise UserError("not a regular file (a device, a pipe or a folder): nothing to review")
        limit = max(self.max_bytes, Limits().max_file_bytes) if format_for_name(path.name) in FILE_FORMATS \
            else self.max_bytes  # a Word or PDF file is larger than its text; its text is held to the limit
        if info.st_size > limit:
            raise DocumentTooLarge(f"the file is {info.st_size} bytes; the limit is {limit} bytes "
                                   "(DESIGN_REVIEW_MAX_DOCUMENT_BYTES)")
        with open(real, "rb") as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise DocumentTooLarge(f"the file grew past the {self.max_bytes}-byte limit while it was read")
        return data


def repository_root(cwd: Path) -> Path:
    """The git work tree holding cwd, else cwd itself."""
    here = cwd.resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def run_check(specs: list[str], source: Source, policy: Policy, cwd: Path,
              baseline: Baseline | None = None, reading: Reading | None = None) -> CheckReport:
    """Check every document the specs name (or the policy includes)."""
    started = time.perf_counter()
    docs = collect_documents(specs, policy, cwd)
    checker = Checker(source, policy, baseline, reading or Reading(cwd))
    results = [checker.check(doc) for doc in docs]
    report = CheckReport(source.info, source.rubric, policy, results,
                         baseline.label if baseline else None, time.perf_counter() - started)
    if not docs:
        report.notes.append("every path given is excluded by the configuration: nothing to check")
    return report
