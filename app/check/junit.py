"""JUnit XML: a test suite per document, a test case per stage (and topic, pitfalls, overall)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from app.check.findings import DocumentResult, Finding
from app.check.reports import ordered, tags
from app.check.runner import CheckReport

# Test cases beyond the stages and topics, for findings that belong to no stage.
_EXTRA = (("pitfalls", "Known pitfalls"), ("overall", "Overall score"), ("document", "Waivers"))
_SKIPPED = {"disabled": "disabled by the repository's configuration", "waived": "waived in the document"}


def _cases(d: DocumentResult) -> list[tuple[str, str, str | None]]:
    """(group id, name, why skipped) for every test case of a document."""
    cases = [(g.id, f"{g.kind} {g.id}: {g.title}", g.excluded) for g in d.groups]
    seen = {c[0] for c in cases} | {gid for gid, _ in _EXTRA}
    for f in d.findings:  # a required item of a topic that was not detected has no group of its own
        if f.group not in seen:
            seen.add(f.group)
            cases.append((f.group, f.group, None))
    return cases + [(gid, f"{gid}: {title}", None) for gid, title in _EXTRA]


def _line(f: Finding) -> str:
    return f"L{f.line} {f.rule} [{tags(f)}]: {f.one_line}"


def _case(suite: ET.Element, d: DocumentResult, gid: str, name: str, skipped: str | None) -> str:
    """One test case; answers its outcome: passed, failure or skipped."""
    findings = [f for f in ordered(d.findings) if f.group == gid]
    case = ET.SubElement(suite, "testcase", classname=d.path, name=name, time="0")
    failing = [f for f in findings if f.failing]
    outcome = "skipped" if skipped else ("failure" if failing else "passed")
    if skipped:
        ET.SubElement(case, "skipped", message=_SKIPPED[skipped])
    elif failing:
        failure = ET.SubElement(case, "failure", type="design-review",
                                message=f"{len(failing)} failing: " + ", ".join(f.rule for f in failing))
        failure.text = "\n".join(_line(f) for f in failing)
    rest = [f for f in findings if not f.failing]
    if rest:
        ET.SubElement(case, "system-out").text = "\n".join(
            _line(f) + (f" (waived: {f.waiver.reason or 'no reason'})" if f.waiver else "") for f in rest)
    return outcome


def _suite(d: DocumentResult, root: ET.Element, info: dict[str, str]) -> dict[str, int]:
    suite = ET.SubElement(root, "testsuite", name=d.path)
    props = ET.SubElement(suite, "properties")
    for name, value in info.items():
        ET.SubElement(props, "property", name=name, value=value)
    tally = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if d.error:
        case = ET.SubElement(suite, "testcase", classname=d.path, name="review", time="0")
        ET.SubElement(case, "error", message=d.error, type="unreviewable").text = d.error
        tally.update(tests=1, errors=1)
    else:
        ET.SubElement(props, "property", name="overall_score", value=f"{d.score:.4f}")
        for case in _cases(d):
            outcome = _case(suite, d, *case)
            tally["tests"] += 1
            tally["failures"] += outcome == "failure"
            tally["skipped"] += outcome == "skipped"
    seconds = (d.review.reviewer.elapsed_ms / 1000) if d.review else 0.0
    suite.attrib.update({k: str(v) for k, v in tally.items()}, time=f"{seconds:.3f}")
    return tally


def render_junit(report: CheckReport) -> str:
    """The JUnit XML document."""
    t = report.tool
    info = {"reviewer": f"{t.name} {t.version}", "backend": t.backend, "endpoint": t.endpoint,
            "rubric_version": t.rubric_version, "corpus_version": t.corpus_version,
            "embedding_model": t.embedding_model}
    root = ET.Element("testsuites", name="design-review check")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for d in report.documents:
        for key, value in _suite(d, root, info).items():
            totals[key] += value
    root.attrib.update({k: str(v) for k, v in totals.items()}, time=f"{report.elapsed_s:.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
