"""The review service every door calls: decoding and limits, stored reviews, the cache, slots."""

from __future__ import annotations

import asyncio
import hashlib
import threading

import pytest

from app.errors import DocumentTooLarge, Refused, UserError
from app.review.service import ReviewRequest, local_service

from helpers import read_fixture


@pytest.fixture(scope="module")
def service(settings, reviewer):
    return local_service(settings, reviewer)


def test_same_text_twice_comes_from_the_store(service, fraud_text):
    text = fraud_text + "\nThis copy exists only for the cache test.\n"
    first = service.review_now(ReviewRequest(document=text))
    second = service.review_now(ReviewRequest(document=text))
    assert (first.cached, second.cached) == (False, True)
    assert second.review.reviewer.cached is True and first.review.reviewer.cached is False
    assert second.review.id == first.review.id  # the stored review itself
    assert second.review.overall == first.review.overall
    assert service.store.get(first.review.id) is not None


def test_changed_text_or_options_are_new_reviews(service, fraud_text):
    service.review_now(ReviewRequest(document=fraud_text))
    other = service.review_now(ReviewRequest(document=fraud_text + "\nOne more line makes it another document.\n"))
    titled = service.review_now(ReviewRequest(document=fraud_text, title="another title"))
    fresh = service.review_now(ReviewRequest(document=fraud_text, fresh=True))
    assert not other.cached and not titled.cached and not fresh.cached


def test_bytes_are_reviewed_like_text(service):
    text = read_fixture("plain_design.txt")
    answer = service.review_now(ReviewRequest(document=text.encode("utf-8"), format="text"))
    assert answer.review.document.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert len(answer.review.stages) == 10


@pytest.mark.parametrize("data", ["", "  \n\t", b"\xff\xfe\x00", "a\x00b"])
def test_unreviewable_input_raises_user_error(service, data):
    with pytest.raises(UserError):
        service.review_now(ReviewRequest(document=data))


def test_limits_are_checked_by_the_service(settings, reviewer):
    small = local_service(settings.model_copy(update={"max_document_lines": 5}), reviewer)
    with pytest.raises(DocumentTooLarge):
        small.review_now(ReviewRequest(document="line\n" * 50))


def test_full_slots_refuse_with_retry_after(settings, reviewer):
    """One review running and none allowed to wait: the next is refused at once with Retry-After."""
    busy = local_service(settings.model_copy(update={"max_concurrent_reviews": 1, "max_queued_reviews": 0}),
                         reviewer)
    gate = threading.Event()
    started = threading.Event()

    async def scenario():
        blocker = asyncio.ensure_future(busy.slots.run(lambda: (started.set(), gate.wait(10))))
        await asyncio.to_thread(started.wait, 10)
        try:
            with pytest.raises(Refused) as refused:
                await busy.review(ReviewRequest(document=read_fixture("plain_design.txt"), format="text"))
            return refused.value
        finally:
            gate.set()
            await blocker

    refused = asyncio.run(scenario())
    assert refused.status_code == 503 and refused.retry_after >= 1
    assert busy.metrics.refused.labels("busy")._value.get() == 1


@pytest.fixture
def fraud_text() -> str:
    return read_fixture("fraud_metrics.md")


def test_one_caller_holds_at_most_half_of_the_slots(settings, reviewer):
    """One worker busy, three places to wait: a caller gets two of the four, the third is refused
    at once, and another caller still gets in."""
    shared = local_service(settings.model_copy(update={"max_concurrent_reviews": 1, "max_queued_reviews": 3}),
                           reviewer)
    gate, started = threading.Event(), threading.Event()
    text = read_fixture("plain_design.txt")

    async def scenario():
        blocker = asyncio.ensure_future(shared.slots.run(lambda: (started.set(), gate.wait(30))))
        await asyncio.to_thread(started.wait, 10)
        mine = [asyncio.ensure_future(shared.review(ReviewRequest(document=f"{text}\nmine {k}\n", format="text",
                                                                  caller="key-a"))) for k in range(2)]
        await asyncio.sleep(0.2)
        try:
            with pytest.raises(Refused) as refused:
                await shared.review(ReviewRequest(document=f"{text}\nmine 3\n", format="text", caller="key-a"))
            other = asyncio.ensure_future(shared.review(ReviewRequest(document=f"{text}\ntheirs\n", format="text",
                                                                      caller="key-b")))
            await asyncio.sleep(0.2)
            assert not other.done()  # admitted: waiting for the worker, not refused
        finally:
            gate.set()
        await blocker
        done = await asyncio.gather(*mine, other)
        return refused.value, done

    refused, done = asyncio.run(scenario())
    assert refused.status_code == 503 and refused.reason == "caller" and refused.retry_after >= 1
    assert all(not d.cached for d in done)
    again = shared.review_now(ReviewRequest(document=f"{text}\nmine 3\n", format="text", caller="key-a"))
    assert again.review.document.words > 0  # the share came back when the work ended
