"""Review slots (app/review/slots.py): the review threads, their queue order and the line memory
that estimates a review's length."""

from __future__ import annotations

import asyncio
import threading

import pytest

from app.review.slots import LineMemory, ReviewSlots


def test_waiting_reviews_start_by_arrival_plus_expected_length():
    """One review thread, held busy; then a long review, a short one, and a short one that comes
    after the long one's expected length: the short one jumps the queue, the late one does not."""
    slots = ReviewSlots(workers=1, queue=8, timeout_s=30)
    started: list[str] = []
    gate = threading.Event()

    def job(name: str):
        def work() -> str:
            started.append(name)
            if name == "busy":
                gate.wait(10)
            return name
        return work

    async def scenario() -> list[str]:
        busy = asyncio.ensure_future(slots.run(job("busy")))
        while not started:
            await asyncio.sleep(0.01)
        long = asyncio.ensure_future(slots.run(job("long"), cost=0.3))
        short = asyncio.ensure_future(slots.run(job("short"), cost=0.0))
        await asyncio.sleep(0.5)  # past the long review's expected length
        late = asyncio.ensure_future(slots.run(job("late"), cost=0.0))
        await asyncio.sleep(0.05)
        gate.set()
        return list(await asyncio.gather(busy, long, short, late))

    try:
        assert asyncio.run(scenario()) == ["busy", "long", "short", "late"]  # each got its own answer
        assert started == ["busy", "short", "long", "late"]
        assert slots.in_flight == 0
    finally:
        slots.close()


def test_an_error_in_a_review_reaches_its_request_and_the_thread_goes_on():
    slots = ReviewSlots(workers=1, queue=1, timeout_s=30)

    def fails() -> None:
        raise ValueError("a broken document")

    async def scenario():
        with pytest.raises(ValueError, match="broken"):
            await slots.run(fails)
        return await slots.run(lambda: "next")

    try:
        assert asyncio.run(scenario()) == "next"
    finally:
        slots.close()


def test_line_memory_counts_only_the_lines_it_has_not_seen():
    memory = LineMemory(size=1000)
    design = "# Title\n\nWe train daily.\nWe serve from a feature store.\n"
    assert memory.expected_seconds(LineMemory.lines(design)) == pytest.approx(3 * LineMemory.SECONDS_PER_NEW_LINE)
    memory.remember(LineMemory.lines(design))
    assert memory.expected_seconds(LineMemory.lines(design)) == 0
    edited = design + "We retrain when the click rate drifts.\n"
    assert memory.expected_seconds(LineMemory.lines(edited)) == pytest.approx(LineMemory.SECONDS_PER_NEW_LINE)
    small = LineMemory(size=2)
    small.remember(LineMemory.lines("a\nb\nc\n"))
    assert small.expected_seconds(LineMemory.lines("a\nb\nc\n")) == pytest.approx(LineMemory.SECONDS_PER_NEW_LINE)
