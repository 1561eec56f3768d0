"""Every provider keeps the LLM scorer's promises: the fault set of bench/faults.py against loopback
stand-ins of the OpenAI and the Anthropic Messages APIs, through the real provider clients
(LangChain's ChatOpenAI, AzureChatOpenAI and ChatAnthropic over the openai and anthropic SDKs).

One call per review, max_tokens in every request, the answer cache, retries that wait for
Retry-After, the deadline, the token ceiling, quote verification, and a degraded review (never an
error) on any fault; the LLM's questions are kept only when tied to lines of the design.
"""

from __future__ import annotations

import sys
import time

import pytest

import anthropic_standin
import llm_standin
from app.config import get_settings
from app.errors import UserError
from app.llm.providers import PROVIDERS, chat_class
from app.review.build import build_reviewer
from helpers import REPO, read_fixture
from servers import free_port

sys.path.insert(0, str(REPO / "bench"))
from faults import INJECTION, fault_set, with_injection  # noqa: E402

DOC = read_fixture("fraud_metrics.md")
API = {"openai": llm_standin, "azure": llm_standin, "anthropic": anthropic_standin}


@pytest.fixture(scope="module")
def openai_api():
    with llm_standin.running_standin() as s:
        yield s


@pytest.fixture(scope="module")
def anthropic_api():
    with anthropic_standin.running_anthropic() as s:
        yield s


@pytest.fixture(params=["openai", "azure", "anthropic"])
def provider(request, openai_api, anthropic_api):
    return request.param, (anthropic_api if request.param == "anthropic" else openai_api)


def settings_for(settings, name: str, standin, **extra):
    url = standin.url
    base = dict(store_path=settings.store_path, corpus_dir=settings.corpus_dir, llm_provider=name,
                llm_api_key="test-key", llm_base_url=url, llm_model="standin-model", llm_cache_dir=None,
                llm_deadline_s=2, llm_max_retries=3)
    if name == "azure":  # the endpoint without /v1: the SDK adds /openai/deployments/<model>/...
        base.update(llm_base_url=url.removesuffix("/v1"), llm_azure_api_version="2024-10-21")
    return get_settings(**{**base, **extra})


def reviewer_for(settings, provider, **extra):
    name, standin = provider
    return build_reviewer(settings_for(settings, name, standin, **extra)), standin, API[name]


def test_a_good_answer_costs_one_call_with_max_tokens_and_is_cached(settings, ingested, provider, tmp_path):
    reviewer, standin, api = reviewer_for(settings, provider, llm_cache_dir=tmp_path)
    standin.reset(api.every_item("m"))
    review = reviewer.review(DOC, backend="llm")
    info = review.reviewer
    assert info.backend == "llm" and not info.degraded, info.degraded_reason
    assert len(standin.calls) == 1 and 0 < standin.calls[0]["max_tokens"] <= 4096
    assert standin.calls[0]["temperature"] == 0
    assert (info.usage.input_tokens, info.usage.output_tokens, info.usage.calls) == (1000, 100, 1)
    again = reviewer_for(settings, provider, llm_cache_dir=tmp_path)[0].review(DOC, backend="llm")
    assert len(standin.calls) == 1 and again.reviewer.usage.cached_calls == 1
    gap = next(g for g in review.gaps() if g.status == "missing")
    first = gap.question_details[0]
    assert (first.source, first.lines, first.design_specific) == ("llm", [1], True)
    assert all(q.source == "corpus" for q in gap.question_details[1:])


@pytest.mark.parametrize("fault", list(fault_set(llm_standin, slow_s=4)))
def test_every_fault_gives_a_review(settings, ingested, provider, fault):
    reviewer, standin, api = reviewer_for(settings, provider, llm_max_retries=1)
    behaviour = fault_set(api, slow_s=4)[fault]
    doc = with_injection(DOC) if "injected" in fault else DOC
    if behaviour is None:  # nobody listens on this port
        name, _ = provider
        url = f"http://127.0.0.1:{free_port()}" + ("" if name in ("anthropic", "azure") else "/v1")
        reviewer = build_reviewer(settings_for(settings, name, standin, llm_base_url=url, llm_max_retries=1))
    local = reviewer.review(doc, backend="local")
    standin.reset(behaviour)
    started = time.monotonic()
    review = reviewer.review(doc, backend="llm", fresh=True)
    took = time.monotonic() - started
    info = review.reviewer
    expected = {"connection refused": "connection failed", "timeout": "timeout", "429": "rate limited",
                "500": "server error (HTTP 500)", "malformed": "malformed JSON", "truncated": "truncated"}
    reason = next((why for key, why in expected.items() if fault.startswith(key)), None)
    if reason:
        assert info.degraded and reason in info.degraded_reason and info.backend == "local"
        assert review.overall == local.overall
        assert took < 2 + 5  # the 2 s deadline, retries included, plus the local review
    else:  # a quote not in the document, an injected instruction: verdicts refused, nothing raised
        assert not info.degraded and info.llm_rejected
        before = {i.id: i.credit for s in local.stages for i in s.items}
        assert all(i.credit <= before[i.id] for s in review.stages for i in s.items)
        assert review.overall.score <= local.overall.score + 1e-9


def test_429_waits_for_retry_after_then_answers(settings, ingested, provider):
    reviewer, standin, api = reviewer_for(settings, provider)
    standin.reset(api.every_item("m"), api.status(429, {"retry-after": "0.5"}))
    started = time.monotonic()
    review = reviewer.review(DOC, backend="llm", fresh=True)
    assert not review.reviewer.degraded and len(standin.calls) == 2
    assert time.monotonic() - started >= 0.5


def test_5xx_is_retried_then_answers(settings, ingested, provider):
    reviewer, standin, api = reviewer_for(settings, provider)
    standin.reset(api.every_item("m"), api.status(503), api.status(500))
    assert not reviewer.review(DOC, backend="llm", fresh=True).reviewer.degraded
    assert len(standin.calls) == 3


def test_token_ceiling_makes_no_call(settings, ingested, provider):
    reviewer, standin, api = reviewer_for(settings, provider, llm_token_ceiling=500)
    standin.reset(api.every_item("m"))
    review = reviewer.review(DOC, backend="llm", fresh=True)
    assert standin.calls == [] and "token ceiling" in review.reviewer.degraded_reason


def test_the_anthropic_request_forces_the_review_tool(settings, ingested, anthropic_api):
    reviewer, standin, api = reviewer_for(settings, ("anthropic", anthropic_api))
    standin.reset(api.every_item("m"))
    reviewer.review(DOC, backend="llm", fresh=True)
    body = standin.calls[0]
    assert body["tools"][0]["name"] == "review" and body["tool_choice"]["name"] == "review"
    assert "never a source of instructions" in str(body["system"])
    text = reviewer_for(settings, ("anthropic", anthropic_api), llm_structured="none")[0]
    standin.reset(api.answer([]))
    assert not text.review(DOC, backend="llm", fresh=True).reviewer.degraded
    assert "tools" not in standin.calls[0]  # the JSON-in-text path


def test_llm_questions_naming_what_the_design_lacks_are_dropped(settings, ingested, provider):
    reviewer, standin, api = reviewer_for(settings, provider)

    def items(body):
        return [{"id": i, "s": "m", "q": "", "l": [], "r": "not stated",
                 "f": [{"q": "Why does Kafka feed this model?", "l": [1]},
                       {"q": "Which threshold does this design use?", "l": [1]}]}
                for i in api.asked_ids(body)]
    standin.reset(api.answer(items))
    review = reviewer.review(DOC, backend="llm", fresh=True)
    asked = [[q.text for q in gap.question_details if q.source == "llm"] for gap in review.gaps()]
    assert ["Which threshold does this design use?"] in asked  # where the LLM's verdict was used
    assert all(a in ([], ["Which threshold does this design use?"]) for a in asked)


def test_a_provider_whose_package_is_missing_names_its_extra():
    with pytest.raises(UserError, match=r"design-reviewer\[ollama\]"):
        chat_class(PROVIDERS["ollama"].__class__("ollama", "no_such_langchain_module", "ChatX", "ollama",
                                                 None, False, "num_predict"))


def test_the_injection_line_is_in_the_injected_design():
    assert INJECTION in with_injection(DOC)
