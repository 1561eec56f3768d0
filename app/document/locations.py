"""A converted file's locations placed on a review: beside every line reference, where it is in
the file the reader has (a PDF's page and line; a Word or HTML heading path and paragraph)."""

from __future__ import annotations

from app.document.convert import Converted
from app.review.model import Evidence, Review


def place_locations(review: Review, converted: Converted) -> Review:
    """The review with `source_location` on its evidence, gaps and pitfalls, and the file's format."""
    def evidence(items: list[Evidence]) -> list[Evidence]:
        return [e.model_copy(update={"source_location": converted.where(e.start_line, e.end_line)}) for e in items]

    def gaps(items):
        return [g.model_copy(update={"source_location": converted.where(g.start_line) if g.start_line else None})
                for g in items]

    def items(results):
        return [i.model_copy(update={"evidence": evidence(i.evidence)}) for i in results]

    stages = [s.model_copy(update={"items": items(s.items), "gaps": gaps(s.gaps)}) for s in review.stages]
    pitfalls = [p.model_copy(update={"evidence": evidence(p.evidence)}) for p in review.pitfalls]
    document = review.document.model_copy(update={"source_format": converted.format})
    return review.model_copy(update={"stages": stages, "topic_items": items(review.topic_items),
                                     "topic_gaps": gaps(review.topic_gaps), "pitfalls": pitfalls,
                                     "document": document})
