"""What the planner asks the reconciler to do: one backend call each, one call per batch."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ApplyModel:
    """Create the scale set or push the model and capacity (new instances get the model at once)."""

    capacity: int
    reason: str


@dataclass(frozen=True)
class UpgradeInstances:
    instance_ids: tuple[str, ...]


@dataclass(frozen=True)
class ReimageInstances:
    instance_ids: tuple[str, ...]
    image_version: str | None = None


@dataclass(frozen=True)
class ReimageAllInstances:
    instance_ids: tuple[str, ...]


@dataclass(frozen=True)
class RestartInstances:
    instance_ids: tuple[str, ...]


@dataclass(frozen=True)
class DeleteInstances:
    instance_ids: tuple[str, ...]


Action = ApplyModel | UpgradeInstances | ReimageInstances | ReimageAllInstances | RestartInstances | DeleteInstances


def describe(action: Action) -> str:
    """A short human description used in Events and logs (never contains secrets)."""
    match action:
        case ApplyModel(capacity=capacity, reason=reason):
            return f"{reason} (capacity {capacity})"
        case ReimageInstances(instance_ids=ids, image_version=version) if version:
            return f"{type(action).__name__} {','.join(ids)} to image {version}"
        case _:
            ids = getattr(action, "instance_ids", ())
            return f"{type(action).__name__} {','.join(ids)}"


@dataclass(frozen=True)
class DrainJob:
    """Not a backend call: a Kubernetes Job the reconciler creates (if missing) from
    ``rolloutPolicy.drain.jobTemplate`` before the instance is disrupted."""

    name: str
    instance_id: str
    instance_name: str
    disruption: str
    """Upgrade, Reimage, ReimageAll, Restart or Delete."""
    timeout_seconds: int
