"""Topic detection: which topic checklists apply to a design, from the terms it uses."""

from __future__ import annotations

import math
from functools import lru_cache

from app.document.parse import Document
from app.knowledge.rubric import Group
from app.scoring.lexical import KeywordIndex

TOPIC_THRESHOLD = 0.55
HEADING_WEIGHT = 3


@lru_cache(maxsize=8)
def _index(topics: tuple[Group, ...]) -> KeywordIndex:
    return KeywordIndex([t.detect for t in topics])


def _counts(doc: Document, topics: tuple[Group, ...]) -> list[float]:
    """Per topic, its terms' occurrences in the text, occurrences in headings counted thrice."""
    index = _index(topics)
    texts = [w.text for w in doc.windows] + [doc.title]
    weights = [HEADING_WEIGHT if w.kind == "heading" else 1 for w in doc.windows] + [HEADING_WEIGHT]
    hits = index.hits(texts)
    return [sum(len(found) * weight for found, weight in zip(per_topic, weights)) for per_topic in hits]


def topic_confidences(doc: Document, topics: tuple[Group, ...]) -> list[float]:
    """A 0..1 confidence per topic from its term density per thousand words."""
    scale = 1000.0 / max(doc.words, 200)
    return [round(1.0 - math.exp(-(c * scale) / 8.0), 4) for c in _counts(doc, topics)]


def detect_topics(doc: Document, topics: tuple[Group, ...],
                  threshold: float = TOPIC_THRESHOLD) -> list[tuple[Group, float]]:
    """The topics whose confidence reaches the threshold, most confident first."""
    scored = zip(topics, topic_confidences(doc, topics))
    return sorted([(t, c) for t, c in scored if c >= threshold], key=lambda tc: -tc[1])
