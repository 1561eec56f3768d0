"""Output formats of a check, and where each goes: a file named by `--output FMT=PATH`, else stdout."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Callable, Mapping, TextIO

from app.check.annotations import render_github, render_rdjsonl
from app.check.comment import render_summary
from app.check.findings import DocumentResult, Finding
from app.check.junit import render_junit
from app.check.reports import outcome, pretty_json, render_markdown, render_text
from app.check.runner import CheckReport
from app.check.sarif import render_sarif
from app.errors import UserError

JSON_SCHEMA = "design-review-check/1"


def _finding(f: Finding) -> dict:
    return {"key": f.key, "rule": f.rule, "kind": f.kind, "severity": f.severity, "title": f.title,
            "message": f.message, "group": f.group, "subject": f.subject, "line": f.line,
            "end_line": f.end_line, "locations": [list(span) for span in f.locations],
            "questions": list(f.questions), "failing": f.failing, "waived": f.waiver is not None,
            "waiver_reason": f.waiver.reason if f.waiver else None, "baseline_state": f.baseline_state}


def _document(d: DocumentResult) -> dict:
    if d.error:
        return {"path": d.path, "status": "error", "error": d.error}
    return {"path": d.path, "status": d.status, "error": None,
            "overall": {"score": d.score, "verdict": d.verdict, "review_score": d.review.overall.score,
                        "baseline_score": d.baseline_score},
            "baseline": d.baseline, "groups": [asdict(g) for g in d.groups],
            "findings": [_finding(f) for f in d.findings],
            "waivers": [{"ids": list(w.ids), "reason": w.reason, "line": w.line} for w in d.waivers],
            "review": d.review}  # serialised by pretty_json, as the model would dump it


def render_json(report: CheckReport) -> str:
    """The whole check as JSON; `--baseline-file` reads it back."""
    docs = report.documents
    body = {"schema": JSON_SCHEMA, "tool": asdict(report.tool), "policy": report.policy.summary(),
            "baseline": report.baseline,
            "summary": {"outcome": outcome(report), "exit_code": report.exit_code, "documents": len(docs),
                        "passed": sum(d.status == "pass" for d in docs), "failed": len(report.failed),
                        "errors": len(report.errors), "elapsed_s": round(report.elapsed_s, 3)},
            "errors": [{"path": d.path, "error": d.error} for d in report.errors],
            "notes": report.notes, "documents": [_document(d) for d in docs]}
    return pretty_json(body)


FORMATS: dict[str, Callable[[CheckReport], str]] = {
    "text": render_text, "json": render_json, "markdown": render_markdown, "github": render_github,
    "sarif": render_sarif, "junit": render_junit, "rdjsonl": render_rdjsonl,
}


def _output_for(spec: str, plan: dict[str, Path | None]) -> tuple[str, Path]:
    """`--output PATH` alone: the one format named without a file, else the one its suffix names."""
    path = Path(spec.strip())
    unplaced = [fmt for fmt, where in plan.items() if where is None]
    if len(unplaced) == 1:
        return unplaced[0], path
    if path.suffix.lower() in SUFFIXES and not unplaced:
        return SUFFIXES[path.suffix.lower()], path
    raise UserError(f"--output {spec!r}: name the format, for example --output sarif={spec} "
                    f"(formats: {', '.join(FORMATS)})")


def _split(spec: str) -> tuple[str, Path | None]:
    fmt, sep, path = spec.partition("=")
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}: choose from {', '.join(FORMATS)}")
    if sep and not path.strip():
        raise UserError(f"--output {spec!r} names no file: write FORMAT=PATH")
    return fmt, Path(path.strip()) if sep else None


SUFFIXES = {".sarif": "sarif", ".json": "json", ".xml": "junit", ".md": "markdown", ".txt": "text",
            ".jsonl": "rdjsonl"}


def plan_outputs(formats: list[str], outputs: list[str]) -> dict[str, Path | None]:
    """Each format with its file, or None for stdout. `--format` takes FMT or FMT=PATH (comma-separated
    lists too); `--output FMT=PATH` sends a format to a file and implies it; `--output PATH` sends
    the one format named with --format there, or the format its suffix names (.sarif, .json, .xml,
    .md, .txt, .jsonl); text alone by default."""
    plan: dict[str, Path | None] = {}
    for spec in (s for f in formats for s in f.split(",") if s.strip()):
        fmt, path = _split(spec)
        plan[fmt] = path if path is not None else plan.get(fmt)
    for spec in outputs:
        fmt, path = _split(spec) if "=" in spec else _output_for(spec, plan)
        plan[fmt] = path
    if not any(path is None for path in plan.values()) and not formats:
        plan = {"text": None, **plan}
    return plan


def emit(report: CheckReport, plan: Mapping[str, Path | None], stdout: TextIO,
         environ: Mapping[str, str]) -> None:
    """Write every planned output; `github` also appends the short view to the job summary."""
    for fmt, path in plan.items():
        text = FORMATS[fmt](report)
        if path is None:
            stdout.write(text)
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot write the {fmt} report to {path}: {exc.strerror or exc}") from exc
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if "github" in plan and summary:
        try:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(render_summary(report))
        except OSError as exc:
            raise UserError(f"cannot append to $GITHUB_STEP_SUMMARY ({summary}): {exc.strerror or exc}") from exc
