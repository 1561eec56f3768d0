"""The LLM scorer: the document with line numbers, the rubric items and their retrieved guidance go to
the model; its verdicts are parsed, checked against the document and merged with the local scorer's.

One call per review while the prompt fits `llm_call_tokens`; past it, stages are split into calls
that run concurrently. Every call sets max_tokens. A review whose calls would pass the token ceiling
makes no call and comes back from the local scorer, degraded, with that reason; so does a review
whose model times out, refuses, or answers with broken JSON.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from app.config import Settings
from app.document.parse import Document
from app.llm.answer import Answer, AnswerError, ItemAnswer, answer_schema, parse_answer
from app.llm.cache import AnswerCache, cache_key
from app.llm.client import LLMClient, LLMFault
from app.llm.merge import Judgement, LocalView, merge_item
from app.llm.prompts import load_prompt
from app.llm.verify import instruction_like, visible_lines
from app.review.model import Guidance, Usage
from app.knowledge.rubric import Group
from app.scoring.local import Verdict

CHARS_PER_TOKEN = 3.5      # a conservative estimate for English prose and markdown
SUPPORT_SIM = 0.35         # a window this close to an item's anchors is about that item


@dataclass(frozen=True)
class Call:
    messages: list[dict]
    item_ids: list[str]
    max_tokens: int
    input_estimate: int


@dataclass
class CallResult:
    answer: Answer | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cached: bool = False
    problem: str | None = None


@dataclass
class LLMOutcome:
    """Merged judgements per item, what they cost, and why the LLM part failed if it did."""

    judgements: dict[str, Judgement] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    degraded_reason: str | None = None
    rejected: list[str] = field(default_factory=list)


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


class LLMScorer:
    """Judges a document's items with an OpenAI-compatible model and merges with the local verdicts."""

    def __init__(self, settings: Settings, guidance: Callable[[str], list[Guidance]],
                 client: LLMClient | None = None) -> None:
        self.settings = settings
        self.prompt = load_prompt("review")
        self.client = client or LLMClient(settings)
        self.cache = AnswerCache(settings.llm_cache_dir)
        self._guidance = guidance
        # Everything an answer depends on besides the messages themselves.
        self.version = cache_key(prompt=self.prompt.version, model=self.client.model,
                                 mode=self.client.mode, base_url=settings.llm_base_url,
                                 temperature=settings.llm_temperature, seed=settings.llm_seed)

    def judge(self, doc: Document, groups: list[Group], local: dict[str, LocalView],
              use_cache: bool = True) -> LLMOutcome:
        """Ask, check and merge; on any fault an outcome with no judgements and the reason."""
        wanted = self.settings.llm_stages
        groups = [g for g in groups if not wanted or g.id in wanted]
        if not groups:
            return LLMOutcome()
        lines = visible_lines(doc.text)
        calls = self.plan(doc, lines, groups)
        needed = sum(c.input_estimate + c.max_tokens for c in calls)
        if needed > self.settings.llm_token_ceiling:
            return LLMOutcome(degraded_reason=(
                f"token ceiling: this review needs about {needed} tokens in {len(calls)} call(s), over "
                f"the ceiling of {self.settings.llm_token_ceiling} (DESIGN_REVIEW_LLM_TOKEN_CEILING)"))
        results = self._run(calls, use_cache)
        usage = self._usage(results)
        failed = [r.problem for r in results if r.problem]
        if failed:
            return LLMOutcome(usage=usage, degraded_reason=failed[0])
        answers: dict[str, ItemAnswer] = {}
        for call, result in zip(calls, results):
            for a in result.answer.items:
                if a.id in call.item_ids:
                    answers.setdefault(a.id, a)
        raises_allowed = not instruction_like("\n".join(lines))
        outcome = LLMOutcome(usage=usage)
        for group in groups:
            for item in group.items:
                j = merge_item(local[item.id], answers.get(item.id), lines, raises_allowed)
                outcome.judgements[item.id] = j
                if j.rejected and item.id in answers:
                    outcome.rejected.append(f"{item.id}: {j.rejected}")
        return outcome

    def plan(self, doc: Document, lines: list[str], groups: list[Group]) -> list[Call]:
        """One call for every group while the prompt fits the per-call budget; else groups packed into calls."""
        numbered = "\n".join(f"{n}| {line}" for n, line in enumerate(lines, 1) if line.strip())
        blocks = [self._block(g) for g in groups]
        base = self._call(doc.title, numbered, []).input_estimate
        packs, current, size = [], [], base
        for block, cost in zip(blocks, map(_block_tokens, blocks)):
            if current and size + cost > self.settings.llm_call_tokens:
                packs.append(current)
                current, size = [], base
            current.append(block)
            size += cost
        packs.append(current)
        return [self._call(doc.title, numbered, pack) for pack in packs]

    def _block(self, group: Group) -> dict:
        limit = self.settings.llm_guidance_chars
        items = []
        for item in group.items:
            found = self._guidance(item.id) if limit else []
            text = " ".join(found[0].text.split())[:limit] if found else ""
            items.append({"id": item.id, "title": item.title, "guidance": text})
        return {"id": group.id, "title": group.title, "items": items}

    def _call(self, title: str, numbered: str, blocks: list[dict]) -> Call:
        ids = [i["id"] for b in blocks for i in b["items"]]
        messages = self.prompt.render(title=title, numbered_document=numbered, groups=blocks, n_items=len(ids))
        max_tokens = min(self.settings.llm_max_tokens, 64 + self.settings.llm_output_tokens_per_item * len(ids))
        estimate = sum(estimate_tokens(m["content"]) for m in messages)
        return Call(messages, ids, max_tokens, estimate)

    def _run(self, calls: list[Call], use_cache: bool) -> list[CallResult]:
        """Every call concurrently; whatever is not back by the deadline makes the review time out."""
        deadline = time.monotonic() + self.settings.llm_deadline_s
        pool = ThreadPoolExecutor(max_workers=min(len(calls), self.settings.llm_concurrency),
                                  thread_name_prefix="llm-call")
        futures = [pool.submit(self._ask, c, deadline, use_cache) for c in calls]
        _, late = wait(futures, timeout=max(0.0, deadline - time.monotonic()) + 0.25)
        pool.shutdown(wait=False, cancel_futures=True)
        timeout = f"timeout: no answer within the {self.settings.llm_deadline_s:g} s deadline"
        return [CallResult(problem=timeout) if f in late else f.result() for f in futures]

    def _ask(self, call: Call, deadline: float, use_cache: bool) -> CallResult:
        # The rendered messages hold the document, its title, the items and their guidance.
        key = cache_key(version=self.version, messages=call.messages, max_tokens=call.max_tokens)
        hit = self.cache.get(key) if use_cache else None
        if hit is not None:
            try:
                return CallResult(parse_answer(hit["text"]), cached=True)
            except (AnswerError, KeyError, TypeError):
                pass  # a damaged cache entry costs a call, nothing more
        try:
            schema = answer_schema(call.item_ids, bounded=self.client.mode == "json_object")
            done = self.client.complete(call.messages, schema, call.max_tokens, deadline)
        except LLMFault as exc:
            return CallResult(problem=exc.reason)
        result = CallResult(input_tokens=done.input_tokens, output_tokens=done.output_tokens)
        try:
            result.answer = parse_answer(done.text)
        except AnswerError as exc:
            result.problem = (f"truncated answer: max_tokens ({call.max_tokens}) reached" if done.truncated
                              else exc.reason)
            return result
        self.cache.put(key, {"text": done.text, "input_tokens": done.input_tokens,
                             "output_tokens": done.output_tokens})
        return result

    def _usage(self, results: list[CallResult]) -> Usage:
        tokens_in = sum(r.input_tokens for r in results)
        tokens_out = sum(r.output_tokens for r in results)
        s = self.settings
        cost = None
        if s.llm_price_input_per_mtok is not None and s.llm_price_output_per_mtok is not None:
            cost = round((tokens_in * s.llm_price_input_per_mtok + tokens_out * s.llm_price_output_per_mtok) / 1e6, 6)
        return Usage(input_tokens=tokens_in, output_tokens=tokens_out, cost_usd=cost,
                     calls=sum(not r.cached for r in results), cached_calls=sum(r.cached for r in results))


def _block_tokens(block: dict) -> int:
    return estimate_tokens(block["title"]) + sum(
        estimate_tokens(f"- {i['id']}: {i['title']} guidance: {i['guidance']}") + 4 for i in block["items"])


class Support:
    """Which lines are about which item, to the local scorer; computed once, on the first question."""

    def __init__(self, doc: Document, scorer, vectors: np.ndarray) -> None:
        self._doc, self._scorer, self._vectors = doc, scorer, vectors
        self._mask: np.ndarray | None = None

    def lines(self, column: int) -> frozenset[int]:
        if self._mask is None:
            hits = self._scorer.keyword_hits([w.text for w in self._doc.windows])
            mask = self._scorer.similarity(self._vectors) >= SUPPORT_SIM
            for j, per_window in enumerate(hits):
                mask[:, j] |= np.fromiter((bool(h) for h in per_window), bool, len(per_window))
            self._mask = mask
        windows = self._doc.windows
        return frozenset(n for k in np.flatnonzero(self._mask[:, column])
                         for n in range(windows[k].start_line, windows[k].end_line + 1))


def local_views(doc: Document, verdicts: dict[str, Verdict], scorer, vectors: np.ndarray) -> dict[str, LocalView]:
    """The local verdicts as the merge sees them, with (lazily) the lines that are about each item."""
    support = Support(doc, scorer, vectors)
    views = {}
    for j, item in enumerate(scorer.items):
        v = verdicts[item.id]
        status = "missing" if v.status == "not_applicable" else v.status  # the LLM judges fit anew
        spans = () if status == "missing" else tuple(doc.spans(v.windows))
        views[item.id] = LocalView(status, v.credit, spans, lambda j=j: support.lines(j))
    return views
