"""The review: parse, embed, score every item, find pitfalls and topics, and assemble the result."""

from __future__ import annotations

import re
import threading
import time
import uuid
from datetime import datetime, timezone
from functools import cache
from typing import TYPE_CHECKING, Callable

import numpy as np

from app import __version__
from app.config import Settings
from app.knowledge.loader import Knowledge
from app.document.parse import Document, parse_document
from app.embedding.embedder import Embedder
from app.errors import Cancelled, UserError
from app.scoring.pitfalls import find_pitfalls
from app.review.rules import severity, verdict
from app.review.model import (DocumentInfo, Evidence, Gap, Guidance, ItemResult, Overall, PitfallFinding,
                        Review, ReviewerInfo, StageResult, TopicResult)
from app.review.questions import gap_questions
from app.scoring.aspects import AspectIndex
from app.knowledge.rubric import Group, Rubric
from app.scoring.local import WEIGHTS_FILE, LocalScorer, ScorerModel, Verdict
from app.scoring.passages import unique_windows
from app.knowledge.chroma import ITEMS, Store
from app.knowledge.prepared import Prepared, item_vectors, retrieve_guidance
from app.scoring.substance import substance
from app.scoring.topics import detect_topics

if TYPE_CHECKING:  # the local path never imports the LLM scorer
    from app.llm.merge import Judgement

BACKENDS = ("auto", "local", "llm")
CITE_AT = 0.25  # a partial item's questions start from a window that supports the item this much
EMBED_RUN = 32  # windows embedded between two looks at the review's deadline (~30-100 ms of work)

# the words a heading names a stage by: where a missing item of that stage belongs
_STAGE_WORDS = {sid: re.compile(rf"\b(?:{words})\b", re.I) for sid, words in {
    "problem": r"problem(?: formulation| statement| framing| definition)?|requirements?|goals?|objectives?|"
               r"motivation|background|business",
    "metrics": r"metrics?|evaluation criteria|success criteria|kpis?|measur\w+ success",
    "architecture": r"architecture|system design|high[- ]level design|overview of the system|components",
    "data": r"data(?!\s+(?:science|scientists?)\b)(?: collection| preparation| pipeline| sources?)?|datasets?|"
            r"labels?|labell?ing",
    "features": r"features?|feature engineering|featuri[sz]ation|signals",
    "modeling": r"model(?:l?ing)?|training|algorithms?|approach",
    "serving": r"serving|inference|online system|api|latency",
    "deployment": r"deploy\w*|roll-?out|launch|release|a/b test\w*|experiment\w*",
    "operations": r"operations?|monitoring|observability|maintenance|mlops|retraining",
    "deep_dive": r"deep[- ]dive|iterations?|next steps|future work|open questions|risks|trade-?offs",
}.items()}


class Reviewer:
    """Reviews documents with the local scorer; one instance serves a whole process."""

    def __init__(self, settings: Settings, knowledge: Knowledge, store: Store, embedder: Embedder,
                 prepared: Prepared | None = None) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.rubric: Rubric = knowledge.rubric
        self.corpus_version = knowledge.version
        self._why = knowledge.why
        # Prepared at ingest (app/knowledge/prepared.py): the same anchors, without opening Chroma.
        ids, vectors, metas = (prepared.anchor_ids, prepared.anchor_vectors, prepared.anchor_metas) \
            if prepared is not None else store.vectors(ITEMS)
        anchor_items = [m.get("item", "") for m in metas]
        self._item_vectors = item_vectors(vectors, metas)
        model = ScorerModel.load() if WEIGHTS_FILE.exists() else None
        groups = [*self.rubric.stages, *self.rubric.topics]
        group_vectors = embedder.embed([g.title for g in groups])
        self.scorer = LocalScorer(self.rubric.items(), vectors, anchor_items, model, knowledge.bodies,
                                  {g.id: v for g, v in zip(groups, group_vectors)})
        self._stage_vectors = group_vectors[: len(self.rubric.stages)]
        # Each item's aspects, their anchors embedded once: what a partial item's questions ask about.
        self._aspects = AspectIndex(self.rubric.items(), embedder.embed)
        self._column = {item.id: j for j, item in enumerate(self.rubric.items())}
        self._lock = threading.Lock()
        self._llm = None  # the LLM scorer, built on the first review that asks for it
        found = prepared.guidance if prepared is not None else \
            retrieve_guidance(store, self.rubric, self._item_vectors, settings.guidance_per_finding)
        self._guidance = {i: [Guidance(source=s, text=t) for s, t in hits] for i, hits in found.items()}

    def review(self, text: str, *, title: str | None = None, fmt: str = "markdown",
               topics: frozenset[str] = frozenset(), backend: str | None = None,
               fresh: bool = False, stop: Callable[[], bool] | None = None) -> Review:
        """Review one document's text; `topics` are checked even when detection leaves them out.

        `backend`: local, llm, or auto (the LLM scorer when one is configured; the default setting).
        `fresh`: ask the LLM again rather than take its cached answers. `stop`: asked between runs
        of the model; when it answers True the review raises Cancelled (its time is up). Decoding, limits and stored
        reviews belong to the review service (app/review/service.py), which every door calls.
        """
        started = time.perf_counter()
        chosen = self.backend_for(backend)
        doc = parse_document(text, title, fmt)
        return self._assemble(doc, started, topics, chosen, not fresh, stop)

    def backend_for(self, requested: str | None) -> str:
        """local or llm: what a request for local, llm or auto (or the configured default) means here."""
        chosen = requested or self.settings.review_backend
        if chosen not in BACKENDS:
            raise UserError(f"unknown backend {chosen!r}: use one of {', '.join(BACKENDS)}")
        if chosen == "auto":
            return "llm" if self.settings.llm_configured else "local"
        return chosen

    def llm_version(self) -> str:
        """What an LLM review depends on beyond the rubric and corpus: model, server and prompt."""
        return self.llm_scorer().version

    def llm_scorer(self):
        """The LLM scorer for these settings (built once; it holds the HTTP client and the answer cache)."""
        from app.llm.scorer import LLMScorer

        with self._lock:
            if self._llm is None:
                self._llm = LLMScorer(self.settings, self.guidance)
            return self._llm

    def _judge(self, doc: Document, by_id: dict[str, Verdict], vectors: np.ndarray, groups: list[Group],
               use_cache: bool):
        """The LLM scorer's outcome merged with the local verdicts (app/llm/merge.py has the rule)."""
        from app.llm.scorer import LLMOutcome, local_views

        if not self.settings.llm_configured:
            return LLMOutcome(degraded_reason="the LLM scorer is not configured: set OPENAI_API_KEY "
                                              "(and OPENAI_BASE_URL for a server other than OpenAI)")
        views = local_views(doc, by_id, self.scorer, vectors)
        return self.llm_scorer().judge(doc, groups, views, use_cache)

    def score_document(self, doc: Document, stop: Callable[[], bool] | None = None
                       ) -> tuple[list[Verdict], np.ndarray, np.ndarray]:
        """The scorer's verdicts with the window vectors and substance they came from."""
        vectors = self._embed([w.text for w in doc.windows], stop)
        subst = np.array([substance(w.text, w.kind, w.section) for w in doc.windows], dtype=np.float32)
        return self.scorer.score(doc, vectors, subst), vectors, subst

    def _embed(self, texts: list[str], stop: Callable[[], bool] | None) -> np.ndarray:
        """The texts' vectors, a run of EMBED_RUN at a time, asking `stop` before each run."""
        if stop is None:
            return self.embedder.embed(texts)
        parts = []
        for start in range(0, len(texts), EMBED_RUN):
            if stop():
                raise Cancelled("the review was stopped: it ran past its time")
            parts.append(self.embedder.embed(texts[start:start + EMBED_RUN]))
        return np.concatenate(parts) if parts else self.embedder.embed([])

    def _assemble(self, doc: Document, started: float, forced: frozenset[str], backend: str = "local",
                  use_cache: bool = True, stop: Callable[[], bool] | None = None) -> Review:
        verdicts, vectors, _ = self.score_document(doc, stop)
        by_id = {v.item: v for v in verdicts}
        homes = self._homes(doc, vectors)
        topics = detect_topics(doc, self.rubric.topics)
        detected = {g.id for g, _ in topics}
        topics += [(g, 0.0) for g in self.rubric.topics if g.id in forced and g.id not in detected]
        llm = None
        if backend == "llm":
            llm = self._judge(doc, by_id, vectors, [*self.rubric.stages, *(g for g, _ in topics)], use_cache)
        judged = llm.judgements if llm else {}
        about = cache(lambda: self.scorer.similarity(vectors))  # windows x items, once, when a gap asks
        first = cache(lambda: frozenset(unique_windows(doc)))  # a repeated text counts once
        asking = (vectors, about, first)
        stages = [self._stage(doc, g, by_id, homes.get(g.id), judged, asking) for g in self.rubric.stages]
        topic_items, topic_gaps = [], []
        for group, _ in topics:
            result = self._stage(doc, group, by_id, None, judged, asking)
            topic_items += [i.model_copy(update={"topic": group.id}) for i in result.items]
            topic_gaps += result.gaps
        # Overall counts what is covered with substance; a design that only names items (partial)
        # earns stage credit for naming them, but not an overall score.
        total = sum(g.weight for g in self.rubric.stages)
        score = sum(s.covered_share * s.weight for s in stages) / total
        return Review(
            id=uuid.uuid4().hex, created_at=datetime.now(timezone.utc).isoformat(),
            document=DocumentInfo(sha256=doc.sha256, title=doc.title, words=doc.words, lines=len(doc.lines)),
            overall=Overall(score=round(score, 4), verdict=verdict(score)),
            topics=[TopicResult(id=g.id, title=g.title, confidence=c) for g, c in topics],
            stages=stages, topic_items=topic_items, topic_gaps=topic_gaps,
            pitfalls=self._pitfalls(doc),
            reviewer=ReviewerInfo(
                backend="llm" if llm and not llm.degraded_reason else "local",
                degraded=bool(llm and llm.degraded_reason),
                degraded_reason=f"LLM scorer: {llm.degraded_reason}" if llm and llm.degraded_reason else None,
                corpus_version=self.corpus_version,
                rubric_version=self.rubric.version, embedding_model=self.embedder.name,
                version=__version__, elapsed_ms=int((time.perf_counter() - started) * 1000),
                llm_model=self.settings.llm_model if llm else None, usage=llm.usage if llm else None,
                llm_rejected=llm.rejected if llm else []),
        )

    def _homes(self, doc: Document, vectors: np.ndarray) -> dict[str, tuple[str, int]]:
        """For each stage, the document heading most like it: where a missing item belongs."""
        heads = [k for k, w in enumerate(doc.windows) if w.kind == "heading"]
        if not heads:
            return {}
        sims = vectors[heads] @ self._stage_vectors.T
        named = [{sid for sid, words in _STAGE_WORDS.items() if words.search(doc.windows[k].text)} for k in heads]
        homes = {}
        for s, stage in enumerate(self.rubric.stages):
            # a heading that names the stage ("## 4. Data", "## 8. Rollout") before one that is only like it
            naming = [h for h, ids in enumerate(named) if stage.id in ids]
            best = max(naming, key=lambda h: sims[h, s]) if naming else int(np.argmax(sims[:, s]))
            if naming or sims[best, s] >= 0.45:
                w = doc.windows[heads[best]]
                homes[stage.id] = (w.text, w.start_line)
        return homes

    def _stage(self, doc: Document, group: Group, by_id: dict[str, Verdict],
               home: tuple[str, int] | None, judged: dict[str, Judgement], asking=None) -> StageResult:
        items, gaps = [], []
        for item in group.items:
            v = by_id[item.id]
            j = judged.get(item.id)
            status = j.status if j else v.status
            items.append(ItemResult(id=item.id, title=item.title, status=status,
                                    confidence=round(self._confidence(v, status), 4), weight=item.weight,
                                    credit=round(j.credit if j else v.credit, 4),
                                    p_covered=round(self._covered(v, j), 4),
                                    evidence=[] if status in ("missing", "not_applicable") else
                                    self._evidence(doc, j.evidence if j else doc.spans(v.windows)),
                                    reason=j.reason if j else None, llm_status=j.llm_status if j else None))
            if status in ("partial", "missing"):
                asked, summary, aspects = self._questions(doc, item, status, v, j, asking)
                gaps.append(Gap(
                    item=item.id, title=item.title, status=status,
                    severity=severity(item, group, status),
                    why=self._why.get(item.id, item.title),
                    questions=[q.text for q in asked], question_details=asked, summary=summary, aspects=aspects,
                    guidance=self.guidance(item.id),
                    section=home[0] if home else None, start_line=home[1] if home else None,
                    confidence=round(self._confidence(v, status), 4)))
        # The stage score: the expected weighted share of items covered (partial counts half), the
        # weighted mean of each item's expected credit, which the review reports with the item.
        # The covered share (what the overall score counts): the weighted share of the items this
        # review marks covered, so the score agrees with the list a reader sees. An item that does
        # not fit the problem (not_applicable) counts neither for nor against the design.
        counted = [r for r in items if r.status != "not_applicable"] or items
        total = sum(r.weight for r in counted)
        score = sum(r.credit * r.weight for r in counted) / total
        covered = sum(r.weight for r in counted if r.status == "covered") / total
        return StageResult(id=group.id, title=group.title, score=round(score, 4),
                           covered_share=round(covered, 4), weight=group.weight, items=items, gaps=gaps)

    def _questions(self, doc: Document, item, status: str, v: Verdict, j: Judgement | None, asking):
        """A gap's questions (app/review/questions.py): about the aspects this design leaves out."""
        llm = list(j.questions) if j else []
        windows = v.windows
        if j is not None and j.evidence and status == "partial" and not windows:
            windows = tuple(k for k, w in enumerate(doc.windows) if w.kind != "heading" and any(
                a <= w.start_line <= b for a, b in j.evidence))
        findings = []
        # A question starts from a line of the design only where the scorer is fairly sure that line
        # is about the item; otherwise it would pin a checklist question on an unrelated sentence.
        on_item = (lambda k: True) if j is not None else (lambda k: v.support.get(k, 0.0) >= CITE_AT)
        windows = tuple(k for k in windows if on_item(k))
        if status == "partial" and asking is not None and windows:
            vectors, about, first = asking
            findings = self._aspects.find(doc, vectors, item.id, about()[:, self._column[item.id]], windows, first())
        return gap_questions(doc, item, status, findings, windows, llm, on_item)

    @staticmethod
    def _covered(v: Verdict, j: Judgement | None) -> float:
        """P(covered) for the overall score: the local scorer's, or 1/0 where the LLM changed the
        status under the merge rule."""
        if j is None or j.decided_by != "llm":
            return v.probability
        return 1.0 if j.status == "covered" else 0.0

    @staticmethod
    def _confidence(v: Verdict, status: str) -> float:
        """How sure the local scorer is of the status given, not of coverage itself."""
        return v.probability if status == "covered" else 1.0 - v.probability

    @staticmethod
    def _evidence(doc: Document, spans) -> list[Evidence]:
        """The document's own text of each line span."""
        return [Evidence(start_line=a, end_line=b, quote=doc.quote(a, b)) for a, b in spans]

    def guidance(self, item_id: str) -> list[Guidance]:
        """The corpus chunks nearest to the item in its group, retrieved from the guidance
        collection when the reviewer starts."""
        return self._guidance.get(item_id, [])

    def _pitfalls(self, doc: Document) -> list[PitfallFinding]:
        out = []
        for finding in find_pitfalls(doc, {p.id for p in self.rubric.pitfalls}):
            pitfall = self.rubric.pitfall(finding.pitfall)
            out.append(PitfallFinding(
                id=pitfall.id, title=pitfall.title, severity=pitfall.severity,
                confidence=finding.confidence,
                evidence=self._evidence(doc, doc.spans(finding.windows)),
                why=self._why.get(pitfall.id, pitfall.title), questions=list(pitfall.questions),
                guidance=self.guidance(pitfall.id)))
        return out
