"""The LangChain path against the real llama.cpp server: the OpenAI-compatible provider chosen by
name, its JSON-object structured output, and the questions the model writes, grounded or dropped.

The server is tests/llm/conftest.py's (skipped where the llm-test extra is missing).
"""

from __future__ import annotations

from app.document.terms import foreign_names
from app.review.build import build_reviewer

from test_llm_server import assert_model_review, dev_design, llm_settings


def test_openai_compatible_provider_through_langchain_gives_a_grounded_review(settings, ingested, llama_server):
    text = dev_design()
    reviewer = build_reviewer(llm_settings(settings, llama_server, llm_provider="openai-compatible"))
    assert reviewer.llm_scorer().client.mode == "json_object"
    review = reviewer.review(text, backend="llm")
    assert_model_review(review)
    n_lines = len(text.split("\n"))
    for gap in review.gaps():
        assert len([q for q in gap.question_details if q.source == "llm"]) <= 2
        for q in gap.question_details:
            if q.source != "corpus":
                assert q.lines and all(1 <= n <= n_lines for n in q.lines)
                assert foreign_names(q.text, text, n_lines) == [], q.text
