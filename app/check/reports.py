"""Readable check reports: plain text for a terminal, markdown for a PR comment or a job summary."""

from __future__ import annotations

from pydantic_core import to_json

from app.check.findings import DocumentResult, Finding
from app.check.runner import CheckReport
from app.review.render import html_safe
from app.review.model import SEVERITY_RANK

_TEXT_WIDTH = 180


def pretty_json(body: object) -> str:
    """Indented JSON with non-ASCII kept, by pydantic's serializer: the standard library's encoder
    falls back to pure Python when it indents, ten times slower on a twenty-document report."""
    return to_json(body, indent=2).decode() + "\n"


def ordered(findings: list[Finding]) -> list[Finding]:
    """Failing first, then by severity, then by line."""
    return sorted(findings, key=lambda f: (not f.failing, -SEVERITY_RANK[f.severity], f.line, f.rule))


def outcome(report: CheckReport) -> str:
    return {0: "passed", 1: "failed", 2: "could not review every document"}[report.exit_code]


def counts(report: CheckReport) -> str:
    docs = report.documents
    passed = sum(d.status == "pass" for d in docs)
    return (f"{len(docs)} document{'s' if len(docs) != 1 else ''}: {passed} passed, {len(report.failed)} failed, "
            f"{len(report.errors)} could not be reviewed")


def policy_line(report: CheckReport) -> str:
    p = report.policy
    parts = [f"fail on {p.fail_on}", f"fail under {p.fail_under:.2f}"]
    if p.stage_min:
        parts.append("stage minimums " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(p.stage_min.items())))
    if p.require_stages:
        parts.append("required stages " + ", ".join(sorted(p.require_stages)))
    if p.require_items:
        parts.append("required items " + ", ".join(sorted(p.require_items)))
    if p.disabled:
        parts.append("disabled " + ", ".join(sorted(p.disabled)))
    if report.baseline:
        parts.append(f"baseline {report.baseline}, max drop {p.max_drop:.2f}")
    if p.config_path:
        parts.append(f"config {p.config_path}")
    return "; ".join(parts)


def tags(f: Finding) -> str:
    extra = [f.severity] + ([f.baseline_state] if f.baseline_state else [])
    return ", ".join(extra)


def _doc_head(d: DocumentResult) -> str:
    shown = [f for f in d.findings if f.waiver is None]
    waived = len(d.findings) - len(shown)
    base = (f", baseline {d.baseline_score:.2f}" if d.baseline_score is not None
            else ", new since the baseline" if d.baseline == "new" else "")
    return (f"overall {d.score:.2f} ({d.verdict}{base}), {len(d.failing)} failing of {len(shown)} findings"
            + (f", {waived} waived" if waived else ""))


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_text(report: CheckReport) -> str:
    """One block per document: its failing findings and waivers; versions at the end."""
    out = [f"design-review check {outcome(report)}: {counts(report)}", f"policy: {policy_line(report)}", ""]
    for d in report.documents:
        if d.error:
            out.append(f"ERROR {d.path}: {d.error}")
            continue
        out.append(f"{d.status.upper():5} {d.path}  {_doc_head(d)}")
        for f in ordered(d.failing):
            out.append(_clip(f"  L{f.line:<5} {f.rule} [{tags(f)}] {f.one_line}", _TEXT_WIDTH))
        # a waiver the check could not use is the author's own mistake: shown even when it fails nothing
        for f in ordered([f for f in d.findings if not f.failing and f.rule.startswith("design-review/waiver")]):
            out.append(_clip(f"  L{f.line:<5} {f.rule} [{tags(f)}] {f.one_line}", _TEXT_WIDTH))
        for w in d.waivers:
            out.append(f"  waived {', '.join(w.ids)} (line {w.line}): {w.reason or 'no reason given'}")
    out += [f"note: {n}" for n in report.notes]
    out += ["", f"reviewed by {report.tool.line()} in {report.elapsed_s:.1f}s"]
    return "\n".join(out) + "\n"


def _md_finding(f: Finding) -> str:
    where = f"L{f.line}" + (f"-{f.end_line}" if f.end_line != f.line else "")
    return f"- **{where}** `{f.rule}` ({tags(f)}): {html_safe(f.one_line)}"


def _md_document(d: DocumentResult) -> list[str]:
    out = [f"### `{d.path}`: {d.status}", "", _doc_head(d), ""]
    stages = [g for g in d.groups if g.kind == "stage"]
    out += ["| Stage | Score | Minimum | Covered |", "| --- | --- | --- | --- |"]
    for g in stages:
        minimum = f"{g.minimum:.2f}" if g.minimum is not None else ""
        score = g.excluded or f"{g.score:.2f}"
        out.append(f"| {g.title} | {score} | {minimum}{' (required)' if g.required else ''} | "
                   f"{g.covered}/{g.items} |")
    failing = ordered(d.failing)
    if failing:
        out += ["", "**Failing**", ""] + [_md_finding(f) for f in failing]
    rest = [f for f in ordered(d.findings) if not f.failing and f.waiver is None]
    if rest:
        out += ["", f"<details><summary>Other findings ({len(rest)})</summary>", ""]
        out += [_md_finding(f) for f in rest] + ["", "</details>"]
    if d.waivers:
        out += ["", "**Waived**", ""]
        out += [f"- `{', '.join(w.ids)}` (line {w.line}): {html_safe(w.reason) if w.reason else '_no reason given_'}"
                for w in d.waivers]
    return out + [""]


def render_markdown(report: CheckReport) -> str:
    """A summary table, then each document's failing findings, other findings and waivers."""
    out = [f"## Design review check: {outcome(report)}", "", counts(report) + ".", "",
           f"Policy: {policy_line(report)}.", "",
           "| Document | Result | Score | Failing | Findings | Waived |", "| --- | --- | --- | --- | --- | --- |"]
    for d in report.documents:
        if d.error:
            out.append(f"| `{d.path}` | could not be reviewed | | | | |")
            continue
        waived = sum(f.waiver is not None for f in d.findings)
        out.append(f"| `{d.path}` | {d.status} | {d.score:.2f} ({d.verdict}) | {len(d.failing)} | "
                   f"{len(d.findings) - waived} | {waived} |")
    out.append("")
    for d in report.documents:
        if not d.error:
            out += _md_document(d)
    if report.errors:
        out += ["### Could not be reviewed", ""] + [f"- `{d.path}`: {d.error}" for d in report.errors] + [""]
    out += [f"_Note: {n}_" for n in report.notes]
    out.append(f"_Reviewed by {report.tool.line()}._")
    return "\n".join(out) + "\n"
