"""The scheduler on its own: passes run when triggered or when their requeue comes due, never twice
at once, busy keys first, within the worker bound; an idle scheduler sleeps (one timer, no polling)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import pytest

from scaleset_operator.scheduler import Outcome, Scheduler


class Passes:
    """A pass function that records calls and answers from a per-key script."""

    def __init__(self, answer: Callable[[str], Outcome] | None = None, hold: float = 0.0) -> None:
        self.calls: list[str] = []
        self.concurrent: Counter[str] = Counter()
        self.max_concurrent = 0
        self.overlaps: list[str] = []
        self.answer = answer or (lambda key: Outcome(delay=None))
        self.hold = hold
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, key: str) -> Outcome:
        if self.concurrent[key]:
            self.overlaps.append(key)
        self.concurrent[key] += 1
        self.calls.append(key)
        self.max_concurrent = max(self.max_concurrent, sum(self.concurrent.values()))
        try:
            await self.release.wait()
            if self.hold:
                await asyncio.sleep(self.hold)
            return self.answer(key)
        finally:
            self.concurrent[key] -= 1


async def until(predicate: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.005)):
        if predicate():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached in time")


async def settled(scheduler: Scheduler[str]) -> None:
    """Nothing running or waiting for a worker (keys may be scheduled for later)."""
    await until(lambda: scheduler.running == 0 and scheduler.waiting == 0)
    await asyncio.sleep(0.02)


@pytest.fixture
async def started() -> object:
    made: list[Scheduler[str]] = []

    def make(passes: Passes, **kwargs: object) -> Scheduler[str]:
        scheduler: Scheduler[str] = Scheduler(passes, **kwargs)  # type: ignore[arg-type]
        scheduler.start()
        made.append(scheduler)
        return scheduler

    yield make
    for scheduler in made:
        await scheduler.stop()


async def test_a_trigger_runs_the_pass_once(started: Callable[..., Scheduler[str]]) -> None:
    passes = Passes()
    scheduler = started(passes)
    scheduler.trigger("a")
    scheduler.trigger("a")  # already due: not a second pass
    await until(lambda: passes.calls == ["a"])
    await settled(scheduler)
    assert passes.calls == ["a"]
    assert scheduler.due_in("a") is None, "no requeue was asked for"


async def test_the_requeue_time_the_pass_returns_brings_it_back(started: Callable[..., Scheduler[str]]) -> None:
    runs: Counter[str] = Counter()

    def answer(key: str) -> Outcome:
        runs[key] += 1
        return Outcome(delay=0.05 if runs[key] < 3 else None)

    passes = Passes(answer)
    scheduler = started(passes)
    scheduler.trigger("a")
    await until(lambda: runs["a"] == 3)
    await asyncio.sleep(0.15)
    assert runs["a"] == 3


async def test_a_trigger_never_postpones_an_earlier_due_time(started: Callable[..., Scheduler[str]]) -> None:
    passes = Passes()
    scheduler = started(passes)
    scheduler.trigger("a", delay=0.05)
    scheduler.trigger("a", delay=60)
    assert scheduler.due_in("a") == pytest.approx(0.05, abs=0.04)
    scheduler.trigger("a", delay=0)
    await until(lambda: passes.calls == ["a"])


async def test_a_pass_outcome_replaces_the_timer(started: Callable[..., Scheduler[str]]) -> None:
    passes = Passes(lambda key: Outcome(delay=600))
    scheduler = started(passes)
    scheduler.trigger("a")
    await until(lambda: scheduler.due_in("a") is not None and scheduler.due_in("a") > 1)  # type: ignore[operator]
    assert scheduler.due_in("a") == pytest.approx(600, abs=5)


async def test_a_key_is_never_in_two_passes_and_a_trigger_during_a_pass_reruns_it(
    started: Callable[..., Scheduler[str]],
) -> None:
    passes = Passes()
    passes.release.clear()
    scheduler = started(passes, workers=4)
    scheduler.trigger("a")
    await until(lambda: passes.calls == ["a"])
    scheduler.trigger("a")  # the spec changed while the pass was running
    scheduler.trigger("a")
    await asyncio.sleep(0.05)
    assert passes.calls == ["a"], "no second pass while the first runs"
    passes.release.set()
    await until(lambda: passes.calls == ["a", "a"])
    await settled(scheduler)
    assert passes.calls == ["a", "a"] and not passes.overlaps


async def test_at_most_workers_passes_run_at_once(started: Callable[..., Scheduler[str]]) -> None:
    passes = Passes(hold=0.02)
    scheduler = started(passes, workers=3)
    for i in range(20):
        scheduler.trigger(f"k{i}")
    await until(lambda: len(passes.calls) == 20)
    await settled(scheduler)
    assert passes.max_concurrent == 3


async def test_busy_keys_are_served_before_idle_ones(started: Callable[..., Scheduler[str]]) -> None:
    passes = Passes()
    passes.release.clear()
    scheduler = started(passes, workers=1)
    scheduler.trigger("blocker")
    await until(lambda: passes.calls == ["blocker"])
    for i in range(5):
        scheduler.trigger(f"idle{i}", busy=False)
    scheduler.trigger("rollout", busy=True)
    await asyncio.sleep(0.02)
    passes.release.set()
    await until(lambda: len(passes.calls) == 7)
    assert passes.calls[1] == "rollout"
    assert passes.calls[2:] == [f"idle{i}" for i in range(5)], "idle ones in due order"


async def test_the_busy_flag_comes_from_the_last_pass(started: Callable[..., Scheduler[str]]) -> None:
    passes = Passes(lambda key: Outcome(delay=None, busy=key == "rollout"))
    scheduler = started(passes, workers=1)
    scheduler.trigger("rollout")
    scheduler.trigger("quiet")
    await until(lambda: len(passes.calls) == 2)
    passes.release.clear()
    scheduler.trigger("blocker")
    await until(lambda: passes.calls[-1] == "blocker")
    scheduler.trigger("quiet")
    scheduler.trigger("rollout")  # triggered later, but its last pass said it is busy
    passes.release.set()
    await until(lambda: len(passes.calls) == 5)
    assert passes.calls[3:] == ["rollout", "quiet"]


async def test_forget_drops_the_key_even_during_its_pass(started: Callable[..., Scheduler[str]]) -> None:
    passes = Passes(lambda key: Outcome(delay=0.01))
    passes.release.clear()
    scheduler = started(passes)
    scheduler.trigger("gone")
    scheduler.trigger("later", delay=0.05)
    await until(lambda: passes.calls == ["gone"])
    scheduler.forget("gone")
    scheduler.forget("later")
    passes.release.set()
    await asyncio.sleep(0.15)
    assert passes.calls == ["gone"]
    assert scheduler.due_in("gone") is None and scheduler.due_in("later") is None


async def test_a_pass_that_raises_is_retried_after_the_error_delay(started: Callable[..., Scheduler[str]]) -> None:
    attempts: list[str] = []

    def answer(key: str) -> Outcome:
        attempts.append(key)
        if len(attempts) == 1:
            raise RuntimeError("a bug")
        return Outcome(delay=None)

    scheduler = started(Passes(answer), error_delay=0.05)
    scheduler.trigger("a")
    await until(lambda: len(attempts) == 2)


async def test_an_idle_scheduler_sleeps_on_one_timer(started: Callable[..., Scheduler[str]]) -> None:
    """No polling: with 1,000 keys due in an hour, the event loop has one timer and no ready work."""
    passes = Passes()
    scheduler = started(passes)
    for i in range(1000):
        scheduler.trigger(f"k{i}", delay=3600 + i)
    await asyncio.sleep(0.05)
    loop = asyncio.get_running_loop()
    timers = [h for h in loop._scheduled if not h.cancelled()]  # type: ignore[attr-defined]
    ours = [h for h in timers if h.when() > loop.time() + 3000]
    assert len(ours) == 1
    assert scheduler.scheduled == 1000 and scheduler.running == 0 and passes.calls == []
