"""One scheduler for every ScaleSet: due times in a heap, a bounded pool of passes.

Why not a kopf daemon (or timer) per object: each one is a task that wakes on its own clock, so a
fleet pays for its size even while nothing happens (at 1,000 objects a 0.25 s tick is 4,000
wake-ups a second). Here a pass runs only when something says so:

- a watch event (``trigger``): the spec changed, the object is being deleted, an operation for it
  appeared or changed, or this process just became responsible for it;
- the requeue time the previous pass returned (its ``Outcome``).

Between those nothing runs: one dispatcher sleeps until the earliest due time (a single event-loop
timer), so an idle fleet costs no CPU. The rules:

- a key is never in two passes at once; a trigger during its pass runs it again right after;
- the earliest request wins: a trigger never postpones a key already due sooner, while a pass's own
  outcome replaces its timer (the pass knows best when to look again);
- at most ``workers`` passes run at once; of the keys that are due, busy ones (a rollout or an
  operation in flight) go first, then the longest overdue;
- a pass that raises is retried after ``error_delay`` (the reconciler reports its own failures in
  status; an exception here is a bug, logged with its traceback).

The scheduler knows nothing about Kubernetes or backends: keys are any hashable value and the
pass is a coroutine function, so it is tested on its own (tests/test_scheduler.py).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from scaleset_operator import metrics

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Outcome:
    """What a pass says about its key: when to look again, and whether work is in flight."""

    delay: float | None
    """Seconds until the next pass; None: none until the next trigger."""
    busy: bool = False


PassFn = Callable[[K], Awaitable[Outcome]]


class Scheduler(Generic[K]):
    def __init__(self, run: PassFn[K], *, workers: int = 8, error_delay: float = 10.0) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._run = run
        self.workers = workers
        self.error_delay = error_delay
        self._due: dict[K, float] = {}
        """Keys waiting for their time (not running), with the loop time they are due at."""
        self._busy: dict[K, bool] = {}
        """Every known key (triggered and not forgotten) -> whether its last pass said it is busy."""
        self._timers: list[tuple[float, int, K]] = []
        """Heap of (due, seq, key); entries whose due no longer matches ``_due`` are stale."""
        self._ready: list[tuple[int, float, int, K]] = []
        """Heap of (0 busy | 1 idle, due, seq, key): due keys waiting for a free worker."""
        self._queued: set[K] = set()
        self._running: dict[K, asyncio.Task[None]] = {}
        self._rerun: dict[K, float] = {}
        """Triggers that arrived during a key's pass: the earliest time asked for."""
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._dispatcher: asyncio.Task[None] | None = None

    # -- the public surface ---------------------------------------------------------------------

    def trigger(self, key: K, delay: float = 0.0, *, busy: bool | None = None) -> None:
        """Run ``key`` within ``delay`` seconds (sooner if it is already due sooner)."""
        when = self._now() + max(0.0, delay)
        self._busy[key] = self._busy.get(key, False) or bool(busy)  # also: the key is known
        if key in self._running:
            self._rerun[key] = min(when, self._rerun.get(key, when))
        elif key in self._queued:
            return  # already due; it runs as soon as a worker is free
        elif key not in self._due or when < self._due[key]:
            self._schedule(key, when)

    def forget(self, key: K) -> None:
        """Never run ``key`` again (unless triggered again); a pass in progress finishes."""
        self._due.pop(key, None)
        self._busy.pop(key, None)
        self._rerun.pop(key, None)
        if key in self._queued:
            self._queued.discard(key)
            self._ready = [entry for entry in self._ready if entry[3] != key]
            heapq.heapify(self._ready)

    def cancel_running(self) -> None:
        """Cancel the passes in progress (as a crash would); their keys wait for the next trigger."""
        for task in self._running.values():
            task.cancel()

    def due_in(self, key: K) -> float | None:
        """Seconds until ``key``'s next pass (0 when due or running), None when none is planned."""
        if key in self._running or key in self._queued:
            return 0.0
        due = self._due.get(key)
        return None if due is None else max(0.0, due - self._now())

    @property
    def running(self) -> int:
        return len(self._running)

    @property
    def waiting(self) -> int:
        """Keys that are due and wait for a worker."""
        return len(self._queued)

    @property
    def scheduled(self) -> int:
        return len(self._due)

    def start(self) -> None:
        if self._dispatcher is None:
            self._dispatcher = asyncio.create_task(self._dispatch(), name="scaleset scheduler")

    async def stop(self) -> None:
        """Stop dispatching and cancel the passes in progress (the reconciler is crash-safe)."""
        tasks = [t for t in (self._dispatcher, *self._running.values()) if t is not None]
        self._dispatcher = None
        if self._timer is not None:
            self._timer.cancel()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- internals ------------------------------------------------------------------------------

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    def _schedule(self, key: K, when: float) -> None:
        self._due[key] = when
        heapq.heappush(self._timers, (when, next(self._seq), key))
        if self._timer_at is None or when < self._timer_at:
            self._arm(when)

    def _arm(self, when: float) -> None:
        """One event-loop timer for the earliest due time: the only thing that wakes an idle fleet."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = asyncio.get_running_loop().call_at(when, self._wake.set)

    def _promote(self, now: float) -> None:
        """Move the keys that are due from the timer heap to the ready queue."""
        while self._timers and self._timers[0][0] <= now:
            when, seq, key = heapq.heappop(self._timers)
            if self._due.get(key) != when:
                continue  # stale: rescheduled or forgotten since
            del self._due[key]
            self._queued.add(key)
            heapq.heappush(self._ready, (0 if self._busy.get(key) else 1, when, seq, key))
        while self._timers and self._due.get(self._timers[0][2]) != self._timers[0][0]:
            heapq.heappop(self._timers)  # drop stale heads so the timer is armed for a real key
        if self._timers:
            self._arm(self._timers[0][0])
        else:
            self._timer_at = None

    async def _dispatch(self) -> None:
        while True:
            self._wake.clear()
            now = self._now()
            self._promote(now)
            while self._ready and len(self._running) < self.workers:
                priority, due, _, key = heapq.heappop(self._ready)
                self._queued.discard(key)
                metrics.SCHEDULER_LAG_SECONDS.labels("busy" if priority == 0 else "idle").observe(max(0.0, now - due))
                self._running[key] = asyncio.create_task(self._pass(key), name=f"pass {key}")
            metrics.SCHEDULER_KEYS.labels("running").set(len(self._running))
            metrics.SCHEDULER_KEYS.labels("waiting").set(len(self._queued))
            metrics.SCHEDULER_KEYS.labels("scheduled").set(len(self._due))
            await self._wake.wait()

    async def _pass(self, key: K) -> None:
        try:
            outcome = await self._run(key)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("pass for %s failed; retrying in %.0fs", key, self.error_delay)
            outcome = Outcome(delay=self.error_delay, busy=self._busy.get(key, False))
        finally:
            self._running.pop(key, None)
            self._wake.set()
        self._after(key, outcome)

    def _after(self, key: K, outcome: Outcome) -> None:
        rerun = self._rerun.pop(key, None)
        forgotten = key not in self._busy and rerun is None
        self._busy[key] = outcome.busy
        candidates = [t for t in (rerun,) if t is not None]
        if outcome.delay is not None and not forgotten:
            candidates.append(self._now() + max(0.0, outcome.delay))
        if candidates:
            self._schedule(key, min(candidates))
        elif forgotten:
            self._busy.pop(key, None)
