"""A review as a Slack Block Kit message, cut to Slack's limits with a note, never over them."""

from __future__ import annotations

import re

from app.review.model import Gap, PitfallFinding, Review, StageResult

# Slack's documented limits (api.slack.com/reference/block-kit): over any of them Slack rejects
# the whole message (invalid_blocks, msg_too_long).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_MESSAGE_TEXT = 40_000

TOP_GAPS = 5
REPORT_NOTE = "the full report is in the attached file"
_SEVERITY_EMOJI = {"critical": ":red_circle:", "warning": ":large_orange_circle:", "info": ":white_circle:"}
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,4}$")
_BAR = 10


def escape(text: str) -> str:
    """Text from a design, made inert for mrkdwn: no mentions, links or broadcasts (<!channel>)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int, note: str = "…") -> str:
    """The text cut to at most limit characters, ending with note when it was cut."""
    if len(text) <= limit:
        return text
    head = _PARTIAL_ENTITY.sub("", text[: max(0, limit - len(note))])
    return head + note


def section(text: str) -> dict:
    cut = f"… _(cut at Slack's {MAX_SECTION_TEXT}-character limit; {REPORT_NOTE})_"
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_TEXT, cut)}}


def header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, MAX_HEADER_TEXT), "emoji": True}}


def context(*texts: str) -> dict:
    elements = [{"type": "mrkdwn", "text": clip(t, MAX_SECTION_TEXT)} for t in texts if t]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS]}


def fit_blocks(blocks: list[dict]) -> list[dict]:
    """At most MAX_BLOCKS blocks: the last one kept says how many were cut."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    dropped = len(blocks) - (MAX_BLOCKS - 1)
    note = context(f":scissors: {dropped} more blocks cut at Slack's {MAX_BLOCKS}-block limit; {REPORT_NOTE}.")
    return blocks[: MAX_BLOCKS - 1] + [note]


def message(text: str, blocks: list[dict] | None = None) -> dict:
    """A chat.postMessage / response_url payload within Slack's limits."""
    payload = {"text": clip(text, MAX_MESSAGE_TEXT, f"… (cut at Slack's {MAX_MESSAGE_TEXT}-character limit)")}
    if blocks:
        payload["blocks"] = fit_blocks(blocks)
    return payload


def notice(text: str) -> dict:
    """A short message (help, an error) as one section."""
    return message(text, [section(text)])


def top_gaps(review: Review, n: int = TOP_GAPS) -> list[Gap]:
    """The n gaps that matter most: severity, then confidence."""
    return review.gaps_by_importance()[:n]


def _bar(score: float) -> str:
    filled = round(score * _BAR)
    return "▰" * filled + "▱" * (_BAR - filled)


def _stage_line(stage: StageResult) -> str:
    covered = sum(i.status == "covered" for i in stage.items)
    return (f"`{stage.score:.2f}` {_bar(stage.score)}  *{escape(stage.title)}* · "
            f"{covered}/{len(stage.items)} covered")


def _chunk_lines(lines: list[str], limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Lines joined into texts of at most limit characters (a longer single line is clipped later)."""
    chunks: list[str] = []
    for line in lines:
        if chunks and len(chunks[-1]) + 1 + len(line) <= limit:
            chunks[-1] += "\n" + line
        else:
            chunks.append(line)
    return chunks


def _questions(questions: list[str], n: int = 2) -> list[str]:
    return [f"> {escape(clip(q, 300))}" for q in questions[:n]]


def _gap_text(gap: Gap) -> str:
    where = ""
    if gap.start_line:
        where = f" · belongs near line {gap.start_line} ({escape(clip(gap.section or '', 80))})"
        if gap.source_location:
            where += f", in the file: {escape(clip(gap.source_location, 120))}"
    lines = [f"{_SEVERITY_EMOJI[gap.severity]} *{escape(gap.title)}* — {gap.severity}, {gap.status} "
             f"(`{escape(gap.item)}`){where}", escape(clip(gap.why, 500))]
    return "\n".join(lines + _questions(gap.questions))


def _pitfall_text(pitfall: PitfallFinding) -> str:
    where = ", ".join(f"L{e.start_line}" + (f" ({escape(clip(e.source_location, 80))})" if e.source_location else "")
                      for e in pitfall.evidence[:5])
    lines = [f":warning: *{escape(pitfall.title)}* — {pitfall.severity} ({where})"]
    lines += [f"> _{escape(clip(e.quote, 300))}_" for e in pitfall.evidence[:1]]
    lines.append(escape(clip(pitfall.why, 500)))
    return "\n".join(lines + _questions(pitfall.questions))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _summary(review: Review) -> str:
    d, o = review.document, review.overall
    gaps = review.gaps()
    critical = sum(g.severity == "critical" for g in gaps)
    topics = ", ".join(escape(t.title) for t in review.topics) or "none detected"
    return (f"*Overall {o.score:.2f}* · verdict *{o.verdict.replace('_', ' ')}*\n"
            f"{_count(d.words, 'word')} · {_count(len(gaps), 'gap')} ({critical} critical) · "
            f"{_count(len(review.pitfalls), 'pitfall')} · topics: {topics}")


def fallback_text(review: Review) -> str:
    """The notification text: what Slack shows where blocks cannot be shown."""
    o = review.overall
    return (f"Design review of {escape(review.document.title)}: {o.score:.2f} ({o.verdict.replace('_', ' ')}), "
            f"{_count(len(review.gaps()), 'gap')}, {_count(len(review.pitfalls), 'pitfall')}")


def review_blocks(review: Review, n_gaps: int = TOP_GAPS) -> list[dict]:
    """Header, overall, one line per stage, the top gaps and the pitfalls, and a footer."""
    blocks = [header(f"Design review: {review.document.title}"), section(_summary(review)), {"type": "divider"}]
    blocks += [section(chunk) for chunk in _chunk_lines([_stage_line(s) for s in review.stages])]
    gaps = top_gaps(review, n_gaps)
    if gaps:
        blocks += [{"type": "divider"},
                   section(f"*Top gaps* ({len(gaps)} of {len(review.gaps())}, most severe first)")]
        blocks += [section(_gap_text(g)) for g in gaps]
    if review.pitfalls:
        blocks += [{"type": "divider"}, section(f"*Pitfalls* ({len(review.pitfalls)})")]
        blocks += [section(_pitfall_text(p)) for p in review.pitfalls]
    r = review.reviewer
    blocks.append(context(f"design-reviewer {r.version}", f"rubric {r.rubric_version}",
                          f"corpus {r.corpus_version}", f"{r.elapsed_ms} ms" + (" (cached)" if r.cached else ""),
                          f"{REPORT_NOTE[0].upper()}{REPORT_NOTE[1:]}"))
    return blocks


def review_message(review: Review) -> dict:
    """The whole answer to a review request, within Slack's limits."""
    return message(fallback_text(review), review_blocks(review))
