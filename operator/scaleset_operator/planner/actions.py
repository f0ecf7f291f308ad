"""What the planner asks the reconciler to do: one backend call each, one call per batch."""

from __future__ import annotations

from dataclasses import dataclass

from scaleset_operator.cloud.autoscale import AutoscaleKey, DesiredAutoscale
from scaleset_operator.cloud.protection import ProtectionPolicy


@dataclass(frozen=True)
class ApplyModel:
    """Create the scale set or push the model and capacity (new instances get the model at once)."""

    capacity: int
    reason: str
    etag: str | None = None
    """Only if the scale set is still as observed (If-Match): set when the capacity is the cloud's own
    number (capacityOwner not Spec), so a change made meanwhile is never written back."""


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


@dataclass(frozen=True)
class StartInstances:
    instance_ids: tuple[str, ...]


@dataclass(frozen=True)
class DeallocateInstances:
    instance_ids: tuple[str, ...]


@dataclass(frozen=True)
class PowerOffInstances:
    instance_ids: tuple[str, ...]
    skip_shutdown: bool = False


@dataclass(frozen=True)
class RedeployInstances:
    instance_ids: tuple[str, ...]


@dataclass(frozen=True)
class PerformMaintenance:
    instance_ids: tuple[str, ...]


@dataclass(frozen=True)
class SimulateEviction:
    instance_ids: tuple[str, ...]


@dataclass(frozen=True)
class SetProtection:
    """Each instance's protection policy, one VM update per instance (Azure has no batch call)."""

    policies: tuple[ProtectionPolicy, ...]

    @property
    def instance_ids(self) -> tuple[str, ...]:
        return tuple(p.instance_id for p in self.policies)


PowerAction = (
    StartInstances | DeallocateInstances | PowerOffInstances | RedeployInstances | PerformMaintenance | SimulateEviction
)
"""Instance actions only a ScaleSetOperation asks for (planner/operations/power_actions.py)."""


@dataclass(frozen=True)
class ApplyAutoscale:
    """Create or replace the scale set's autoscale setting (tagged with its settings hash)."""

    autoscale: DesiredAutoscale


@dataclass(frozen=True)
class DeleteAutoscale:
    key: AutoscaleKey


Action = (
    ApplyModel
    | UpgradeInstances
    | ReimageInstances
    | ReimageAllInstances
    | RestartInstances
    | DeleteInstances
    | PowerAction
    | SetProtection
    | ApplyAutoscale
    | DeleteAutoscale
)


def describe(action: Action) -> str:
    """A short human description used in Events and logs (never contains secrets)."""
    match action:
        case ApplyModel(capacity=capacity, reason=reason):
            return f"{reason} (capacity {capacity})"
        case ApplyAutoscale(autoscale=autoscale):
            return f"ApplyAutoscale {autoscale.key.name} ({autoscale.settings_hash()})"
        case DeleteAutoscale(key=key):
            return f"DeleteAutoscale {key.name}"
        case ReimageInstances(instance_ids=ids, image_version=version) if version:
            return f"{type(action).__name__} {','.join(ids)} to image {version}"
        case PowerOffInstances(instance_ids=ids, skip_shutdown=True):
            return f"PowerOffInstances {','.join(ids)} (skipShutdown)"
        case SetProtection(policies=policies):
            return "SetProtection " + "; ".join(p.describe() for p in policies)
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
