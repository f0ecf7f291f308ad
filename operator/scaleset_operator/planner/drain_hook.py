"""The drain hook's core (``rolloutPolicy.drain``), shared by rollout batches (``rollout/drain.py``) and
instance operations (``operations/instance_actions.py``): one Job per instance, named
deterministically so a restarted operator finds them; what the observed Jobs say; which Jobs to
create.

A Job seen succeeded is remembered (``BatchDrain.succeeded``: a Job deleted later by its TTL is not
run again); a Job seen failed is reported once (``BatchDrain.failed``); a missing Job that never
succeeded is created (again: deleting a failed Job is how a person retries it).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from scaleset_operator.api.rollout_status import BatchDrain
from scaleset_operator.cloud.observed import ObservedInstance
from scaleset_operator.planner.actions import DrainJob
from scaleset_operator.planner.inputs import JobState
from scaleset_operator.planner.timefmt import fmt, seconds_since

State = Literal["Drained", "Failed", "TimedOut", "Waiting"]


def job_name(scale_set: str, scope: str, label: str, instance_id: str) -> str:
    """``<scaleset>-drain-<scope hash>-<label>-<instance>`` (label: the batch number, or ``op``): a valid
    Job name (at most 63 characters, DNS-1123: a Flexible VM name ``web_1a2b3c4d`` becomes
    ``web-1a2b3c4d``, a long one its hash), the same after a restart."""
    hashed = hashlib.sha256(scope.encode()).hexdigest()[:6]
    prefix = f"{_dns(scale_set)[:30].rstrip('-')}-drain-{hashed}-{label}-"
    instance = _dns(instance_id)
    if len(prefix) + len(instance) > MAX_NAME:
        instance = hashlib.sha256(instance_id.encode()).hexdigest()[:8]
    return prefix + instance


MAX_NAME = 63


def _dns(value: str) -> str:
    return re.sub(r"[^a-z0-9-]", "-", value.lower()).strip("-")


def begin(scale_set: str, scope: str, label: str, instance_ids: Sequence[str], now: datetime) -> BatchDrain:
    return BatchDrain(startTime=fmt(now), jobs=[job_name(scale_set, scope, label, i) for i in instance_ids])


@dataclass(frozen=True)
class Assessed:
    drain: BatchDrain
    """With what this pass saw (succeeded, failed)."""
    state: State
    message: str
    newly_failed: tuple[str, ...] = ()


def assess(drain: BatchDrain, observed: Mapping[str, JobState], timeout: float, now: datetime) -> Assessed:
    seen = {n: observed[n] for n in drain.jobs if n in observed}
    succeeded = [n for n in drain.jobs if n in drain.succeeded or (n in seen and seen[n].phase == "Succeeded")]
    failed = [n for n in drain.jobs if n in seen and seen[n].phase == "Failed" and n not in succeeded]
    updated = drain.model_copy(update={"succeeded": succeeded, "failed": failed})
    if len(succeeded) == len(drain.jobs):
        return Assessed(updated, "Drained", f"drain Jobs succeeded after {int(seconds_since(drain.startTime, now))}s")
    if failed:
        names = ", ".join(f"{n} ({seen[n].message})" if seen[n].message else n for n in failed)
        new = tuple(n for n in failed if n not in drain.failed)
        return Assessed(updated, "Failed", f"drain Job {names} failed", new)
    left = [n for n in drain.jobs if n not in succeeded]
    if seconds_since(drain.startTime, now) > timeout:
        return Assessed(updated, "TimedOut", f"drain Job {', '.join(left)} did not finish within {int(timeout)}s")
    done = f"{len(succeeded)}/{len(drain.jobs)} done"
    return Assessed(updated, "Waiting", f"waiting for drain Jobs {', '.join(left)} ({done})")


def missing(
    drain: BatchDrain,
    instance_ids: Sequence[str],
    instances: Sequence[ObservedInstance],
    observed: Mapping[str, JobState],
    disruption: str,
    timeout: float,
) -> tuple[DrainJob, ...]:
    """The Jobs that do not exist and never succeeded: the reconciler creates them."""
    by_id = {i.instance_id: i for i in instances}
    wanted = []
    for instance_id, name in zip(instance_ids, drain.jobs, strict=True):
        if name in observed or name in drain.succeeded:
            continue
        found = by_id.get(instance_id)
        wanted.append(DrainJob(name, instance_id, found.name if found else instance_id, disruption, int(timeout)))
    return tuple(wanted)


def drained(drain: BatchDrain, now: datetime) -> BatchDrain:
    return drain.model_copy(update={"endTime": fmt(now)})
