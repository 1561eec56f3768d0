"""Reports: a review rendered as plain text for a terminal or as markdown."""

from __future__ import annotations

from app.review.model import Gap, Review

_BAR = 20


def _bar(score: float) -> str:
    filled = round(score * _BAR)
    return "#" * filled + "." * (_BAR - filled)


MAX_GAPS = 15  # reports lead with this many gaps; the JSON keeps them all


def html_safe(text: str) -> str:
    """Text from a design or a repository as markdown shows it: no raw HTML reaches a page that
    renders the report (a pull-request comment, a wiki, a job summary)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sorted_gaps(review: Review) -> list[Gap]:
    return review.gaps_by_importance()


def _head(review: Review) -> list[str]:
    d, o = review.document, review.overall
    topics = ", ".join(f"{t.id} ({t.confidence:.2f})" for t in review.topics) or "none detected"
    return [f"{d.title}", f"overall {o.score:.2f}  verdict: {o.verdict}  ({d.words} words, {d.lines} lines)",
            f"topics: {topics}"]


def _first_sentence(text: str) -> str:
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def render_text(review: Review, max_gaps: int = MAX_GAPS) -> str:
    """A readable terminal report."""
    out = _head(review) + ["", "STAGES (stage score: covered items count 1, partial ½; the overall score counts covered items only)"]
    for s in review.stages:
        covered = sum(i.status == "covered" for i in s.items)
        partial = sum(i.status == "partial" for i in s.items)
        out.append(f"  {s.title:<42} {s.score:4.2f} {_bar(s.score)} {covered}/{len(s.items)} covered"
                   + (f", {partial} partial" if partial else ""))
    if review.pitfalls:
        out += ["", "PITFALLS"]
        for p in review.pitfalls:
            lines = ", ".join(f"{e.start_line}" + (f"-{e.end_line}" if e.end_line != e.start_line else "")
                              + (f" = {e.source_location}" if e.source_location else "") for e in p.evidence)
            out.append(f"  [{p.severity}] {p.title} (line {lines})")
            out += [f"      > {e.quote}" for e in p.evidence[:2]]
            out.append(f"      why: {_first_sentence(p.why)}")
            out += [f"      ? {q}" for q in p.questions[:2]]
    gaps = _sorted_gaps(review)
    out += ["", f"GAPS ({len(gaps)})"]
    for g in gaps[:max_gaps]:
        where = f" [belongs near line {g.start_line}{_in_file(g)}: {g.section}]" if g.start_line else ""
        out.append(f"  [{g.severity}] {g.item} ({g.status}): {g.title}{where}")
        if g.summary:  # a partial item: what the design states and what it leaves out
            out.append(f"      here: {g.summary}")
        out.append(f"      why: {_first_sentence(g.why)}")
        out += [f"      ? {q}" for q in g.questions[:2]]
        out += [f"      see {gd.source}" for gd in g.guidance[:1]]
    if len(gaps) > max_gaps:
        out.append(f"  ... and {len(gaps) - max_gaps} more (use --format json for all)")
    r = review.reviewer
    out += ["", f"reviewer {r.backend} v{r.version}, rubric {r.rubric_version}, corpus {r.corpus_version}, "
                f"{r.embedding_model}, {r.elapsed_ms} ms" + (" (cached)" if r.cached else "")
                + (f", DEGRADED: {r.degraded_reason}" if r.degraded else "")]
    return "\n".join(out) + "\n"


def render_markdown(review: Review, max_gaps: int = MAX_GAPS) -> str:
    """The report as markdown, for a PR comment, a wiki page or a Slack file."""
    d, o = review.document, review.overall
    out = [f"# Design review: {html_safe(d.title)}", "",
           f"**Overall:** {o.score:.2f} ({o.verdict.replace('_', ' ')}) · {d.words} words · "
           f"topics: {', '.join(t.id for t in review.topics) or 'none detected'}", "",
           "Stage scores count covered items 1 and partial ones ½; the overall score counts "
           "covered items only.", "",
           "| Stage | Score | Covered | Partial | Gaps |", "| --- | --- | --- | --- | --- |"]
    for s in review.stages:
        covered = sum(i.status == "covered" for i in s.items)
        partial = sum(i.status == "partial" for i in s.items)
        out.append(f"| {s.title} | {s.score:.2f} | {covered}/{len(s.items)} | {partial} | {len(s.gaps)} |")
    if review.pitfalls:
        out += ["", "## Pitfalls", ""]
        for p in review.pitfalls:
            lines = ", ".join(f"L{e.start_line}" + (f" ({html_safe(e.source_location)})" if e.source_location else "")
                              for e in p.evidence)
            out.append(f"- **{p.title}** ({p.severity}, {lines}): {p.why}")
            out += [f"  > {html_safe(e.quote)}" for e in p.evidence[:1]]
    gaps = _sorted_gaps(review)
    out += ["", f"## Gaps ({len(gaps)}, the most important first)", ""]
    for g in gaps[:max_gaps]:
        out.append(f"### {g.title} (`{g.item}`, {g.severity}, {g.status})")
        if g.summary:
            out += ["", f"*In this design:* {html_safe(g.summary)}"]
        out += ["", g.why, ""]
        out += [f"- {q}" for q in g.questions]
        if g.guidance:
            out += ["", f"Guidance: `{g.guidance[0].source}`"]
        out.append("")
    if len(gaps) > max_gaps:
        out += [f"… and {len(gaps) - max_gaps} more gaps (the review's JSON lists them all).", ""]
    r = review.reviewer
    out.append(f"_Reviewed by design-reviewer {r.version} ({r.backend}), rubric {r.rubric_version}, "
               f"corpus {r.corpus_version}._")
    return "\n".join(out) + "\n"


def _in_file(gap) -> str:
    """Where a converted file's line is in the file itself (a PDF's page and line), when known."""
    return f" = {gap.source_location}" if gap.source_location else ""
