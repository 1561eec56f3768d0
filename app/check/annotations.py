"""Line annotations for CI: GitHub workflow commands and reviewdog's rdjsonl.

Both show what a reviewer must act on: findings that are not waived and, with a baseline, new.
"""

from __future__ import annotations

import json

from app.check.findings import DocumentResult, Finding
from app.check.reports import counts, ordered, outcome
from app.check.runner import CheckReport

GITHUB_LEVEL = {"critical": "error", "warning": "warning", "info": "notice"}
RDJSON_SEVERITY = {"critical": "ERROR", "warning": "WARNING", "info": "INFO"}
PER_TYPE = 10  # annotations of one type per document; the rest are counted in one line


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(level: str, message: str, file: str | None = None, line: int | None = None,
                     end_line: int | None = None, title: str | None = None) -> str:
    """One `::error file=...,line=...,title=...::message` line, escaped as GitHub's toolkit does."""
    props = []
    if file:
        props.append(f"file={_prop(file)}")
    if line:
        props.append(f"line={line}")
    if end_line and line and end_line != line:
        props.append(f"endLine={end_line}")
    if title:
        props.append(f"title={_prop(title)}")
    return f"::{level}{' ' + ','.join(props) if props else ''}::{_data(message)}"


def _annotation_text(f: Finding) -> str:
    """One short sentence and the first question: the title names the finding already."""
    ask = f" Ask: {' '.join(f.questions[0].split())}" if f.questions else ""
    state = " (fails the check)" if f.failing else ""
    return f.sentence + ask + state


def _github_document(d: DocumentResult) -> list[str]:
    if d.error:
        return [workflow_command("error", f"could not be reviewed: {d.error}", d.path, 1,
                                 title="design-review: document not reviewed")]
    out = []
    for level in ("error", "warning", "notice"):
        findings = [f for f in ordered(d.findings) if f.shown and GITHUB_LEVEL[f.severity] == level]
        for f in findings[:PER_TYPE]:
            out.append(workflow_command(level, _annotation_text(f), d.path, f.line, f.end_line,
                                        f"design-review {f.rule}: {f.title}"))
        if len(findings) > PER_TYPE:
            out.append(f"design-review: {d.path}: {len(findings) - PER_TYPE} more {level} findings "
                       "not shown as annotations (see the job summary or --format markdown)")
    return out


def render_github(report: CheckReport) -> str:
    """Workflow commands per finding, framed by two plain lines: the outcome and the versions."""
    out = [f"design-review check {outcome(report)}: {counts(report)}"]
    for d in report.documents:
        out += _github_document(d)
    out.append(f"reviewed by {report.tool.line()}")
    return "\n".join(out) + "\n"


def render_rdjsonl(report: CheckReport) -> str:
    """One reviewdog diagnostic per line."""
    t = report.tool
    source = {"name": f"design-review ({t.name} {t.version}, rubric {t.rubric_version}, "
                      f"corpus {t.corpus_version})"}
    lines = []
    for d in report.documents:
        if d.error:
            lines.append({"message": f"could not be reviewed: {d.error}",
                          "location": {"path": d.path, "range": {"start": {"line": 1}}},
                          "severity": "ERROR", "code": {"value": "design-review/unreviewable"},
                          "source": source})
            continue
        for f in ordered(d.findings):
            if f.shown:
                lines.append({"message": _annotation_text(f),
                              "location": {"path": d.path, "range": {"start": {"line": f.line},
                                                                     "end": {"line": f.end_line}}},
                              "severity": RDJSON_SEVERITY[f.severity], "code": {"value": f.rule},
                              "source": source})
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
