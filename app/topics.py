"""Topic detection: which topic checklists apply to a design, from the terms it uses."""

from __future__ import annotations

import math

from app.document import Document
from app.rubric import Group
from app.scorer import keyword_pattern

TOPIC_THRESHOLD = 0.5


def topic_confidence(doc: Document, topic: Group) -> float:
    """A 0..1 confidence from how often the topic's terms occur, per thousand words, titles doubled."""
    pattern = keyword_pattern(topic.detect)
    if pattern is None:
        return 0.0
    body_hits = sum(len(pattern.findall(w.text)) for w in doc.windows if w.kind != "heading")
    head_hits = sum(len(pattern.findall(h.title)) for h in doc.headings) + len(pattern.findall(doc.title))
    density = (body_hits + 2 * head_hits) * 1000.0 / max(doc.words, 200)
    return round(1.0 - math.exp(-density / 8.0), 4)


def detect_topics(doc: Document, topics: tuple[Group, ...],
                  threshold: float = TOPIC_THRESHOLD) -> list[tuple[Group, float]]:
    """The topics whose confidence reaches the threshold, most confident first."""
    scored = [(t, topic_confidence(doc, t)) for t in topics]
    return sorted([(t, c) for t, c in scored if c >= threshold], key=lambda tc: -tc[1])
