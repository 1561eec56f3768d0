"""The short view of a check, for a pull-request comment and the job summary.

Per design: the overall score and verdict with its change since the baseline, the findings that fail
the policy, the new and fixed findings since the baseline, and the rest folded in `<details>`. The
view fits a size limit: entries are added most important first, a little of each design at a time,
and each list that is cut ends with "and N more". Text that comes from a design (or from an LLM that
read it) is escaped, so it cannot open or close markup around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.check.findings import DocumentResult, Finding
from app.check.reports import ordered, policy_line
from app.check.runner import CheckReport
from app.knowledge.rubric import Rubric
from app.review.render import html_safe

MARKER = "<!-- design-review:check -->"  # how the next run finds the comment it edits
COMMENT_LIMIT = 65_536  # GitHub's limit on a comment, in characters
SUMMARY_LIMIT = 20_000  # bytes: a job summary a reader scrolls past
_MARGIN = 256
_ICON = {"pass": "✅", "fail": "❌", "error": "⚠️"}
_THRESHOLDS = {"overall": "Overall score under the minimum", "drop": "Overall score dropped",
               "stage": "Stage score under its minimum", "required-stage": "Required stage empty",
               "required-item": "Required item not covered"}


def plain(text: str) -> str:
    """Text on one line with no live HTML: what a design or an LLM wrote, made inert."""
    return html_safe(" ".join(str(text).split()))


def code(text: str) -> str:
    return f"<code>{plain(text)}</code>"


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


@dataclass
class _List:
    """One list of a design's block; `shown` entries fit the limit, the rest are counted."""

    title: str
    entries: list[str]
    tier: int  # 0 failing, 1 new, 2 fixed, 3 the rest: the order the limit is spent in
    folded: bool = False
    shown: int = 0

    def lines(self) -> list[str]:
        if not self.entries:
            return []
        n = len(self.entries)
        head = ([f"<details><summary>{self.title} ({n})</summary>", ""] if self.folded
                else [f"**{self.title} ({n})**", ""])
        more = [f"- … and {n - self.shown} more (the json report has every finding)"] if self.shown < n else []
        return head + self.entries[: self.shown] + more + ([""] + ["</details>"] if self.folded else []) + [""]


@dataclass
class _Block:
    head: list[str]
    lists: list[_List] = field(default_factory=list)

    def lines(self) -> list[str]:
        return self.head + [line for part in self.lists for line in part.lines()]


def _where(f: Finding) -> str:
    return f"L{f.line}" + (f"-{f.end_line}" if f.end_line != f.line else "")


def _ask(f: Finding) -> str:
    return f" <em>Ask:</em> {plain(f.questions[0])}" if f.questions else ""


def _entry(f: Finding, *, ask: bool) -> str:
    state = ", new" if f.baseline_state == "new" and ask else ""
    return (f"- **{_where(f)}** {code(f.rule)} {plain(f.title)} ({f.severity}{state}): "
            f"{plain(f.sentence)}" + (_ask(f) if ask else ""))


def _rest_entry(f: Finding) -> str:
    return f"- {_where(f)} {code(f.rule)} {plain(f.title)} ({f.severity})"


def fixed_title(key: str, rubric: Rubric) -> tuple[str, str]:
    """The rule and title a baseline finding's key names, for the list of fixed findings."""
    kind, _, rest = key.partition(":")
    try:
        if kind == "gap":
            return rest, rubric.item(rest).title
        if kind == "pitfall":
            return rest, rubric.pitfall(rest).title
    except (KeyError, StopIteration):
        return rest, rest
    if kind == "threshold":
        what, _, subject = rest.partition(":")
        return key, _THRESHOLDS.get(what, what) + (f": {subject}" if subject else "")
    return key, "Waiver problem" if kind == "waiver" else key


def _score_line(d: DocumentResult) -> str:
    line = f"Overall **{d.score:.2f}** ({d.verdict.replace('_', ' ')})"
    if d.baseline_score is not None:
        delta = d.score - d.baseline_score
        change = "no change" if abs(delta) < 0.005 else f"{'▲' if delta > 0 else '▼'} {abs(delta):.2f}"
        line += f", {change} since the baseline ({d.baseline_score:.2f})"
    elif d.baseline == "new":
        line += ", a new design since the baseline"
    return line


def _block(d: DocumentResult, rubric: Rubric) -> _Block:
    if d.error:
        return _Block([f"### {_ICON['error']} {code(d.path)} could not be reviewed", "", plain(d.error), ""])
    shown = [f for f in ordered(d.findings) if f.waiver is None]
    failing = [f for f in shown if f.failing]
    new = [f for f in shown if not f.failing and f.baseline_state == "new" and d.baseline == "compared"]
    rest = [f for f in shown if not f.failing and not any(f is n for n in new)]
    fixed = [fixed_title(k, rubric) for k in d.fixed]
    waived = len(d.findings) - len(shown)
    verdict = {"pass": "passes", "fail": "fails"}[d.status]
    counts = [f"{len(failing)} failing"] + ([f"{len(new)} new", f"{len(fixed)} fixed"]
                                            if d.baseline == "compared" else []) + [f"{len(rest)} other"]
    counts += [f"{waived} waived"] if waived else []
    head = [f"### {_ICON[d.status]} {code(d.path)} {verdict}", "", f"{_score_line(d)} · {', '.join(counts)}", ""]
    return _Block(head, [
        _List("Fails the policy", [_entry(f, ask=True) for f in failing], 0),
        _List("New since the baseline", [_entry(f, ask=False) for f in new], 1),
        _List("Fixed since the baseline", [f"- {code(rule)} {plain(title)}" for rule, title in fixed], 2),
        _List("Other findings", [_rest_entry(f) for f in rest], 3, folded=True)])


def _fill(blocks: list[_Block], budget: int) -> None:
    """Spend the budget on entries: tier by tier, one entry of each design's list at a time."""
    for tier in range(4):
        lists = [part for b in blocks for part in b.lists if part.tier == tier]
        open_lists = [p for p in lists if p.entries]
        while open_lists and budget > 0:
            for part in list(open_lists):
                cost = _size(part.entries[part.shown]) + 1
                if cost > budget:
                    open_lists.remove(part)
                    continue
                budget -= cost
                part.shown += 1
                if part.shown == len(part.entries):
                    open_lists.remove(part)


def _title(report: CheckReport) -> str:
    docs = report.documents
    failed, errors = len(report.failed), len(report.errors)
    if not failed and not errors:
        return f"## ✅ Design review: {len(docs)} design{'s' if len(docs) != 1 else ''} pass the policy"
    parts = [f"{failed} of {len(docs)} design{'s' if len(docs) != 1 else ''} "
             f"fail{'s' if failed == 1 else ''} the policy"]
    parts += [f"{errors} could not be reviewed"] if errors else []
    return f"## {'❌' if failed else '⚠️'} Design review: {', '.join(parts)}"


def _footer(report: CheckReport) -> list[str]:
    notes = [f"_Note: {plain(n)}_" for n in report.notes]
    return notes + [f"<sub>Reviewed by {plain(report.tool.line())}. Policy: {plain(policy_line(report))}.</sub>"]


def _passed_line(report: CheckReport) -> str:
    scores = [d.score for d in report.documents]
    spread = (f" (overall {min(scores):.2f} to {max(scores):.2f})" if len(scores) > 1
              else f" (overall {scores[0]:.2f})" if scores else "")
    return f"✅ **Design review passed**: every design passes the policy{spread}."


def render_short(report: CheckReport, limit: int, *, collapse_pass: bool = False, marker: str = "") -> str:
    """The short view under `limit` bytes; with collapse_pass, one line when every design passes."""
    top = [marker] if marker else []
    if collapse_pass and report.exit_code == 0:
        return "\n".join(top + [_passed_line(report), "", *_footer(report)]) + "\n"
    top += [_title(report), ""]
    blocks = [_block(d, report.rubric) for d in report.documents]
    fixed = top + _footer(report)
    cut = "_… and {} more designs: see the job's json report._"
    while blocks and _size("\n".join(fixed + [line for b in blocks for line in b.lines()]
                                     + [cut.format(len(report.documents))])) + _MARGIN > limit:
        blocks.pop()  # so many designs that even their heads overflow: the last ones are counted
    skeleton = "\n".join(fixed + [line for b in blocks for line in b.lines()] + [cut.format(0)])
    _fill(blocks, limit - _MARGIN - _size(skeleton))
    body = [line for b in blocks for line in b.lines()]
    hidden = len(report.documents) - len(blocks)
    return "\n".join(top + body + ([cut.format(hidden), ""] if hidden else []) + _footer(report)) + "\n"


def render_comment(report: CheckReport) -> str:
    """The pull-request comment (or merge-request note): marker first, under GitHub's limit."""
    return render_short(report, COMMENT_LIMIT, collapse_pass=True, marker=MARKER)


def render_summary(report: CheckReport) -> str:
    """The job summary: the same short view, in a smaller space."""
    return render_short(report, SUMMARY_LIMIT)
