"""What the planner asks the reconciler to do: one backend call each, one call per batch."""

from __future__ import annotations

from dataclasses import dataclass

from scaleset_operator.cloud.protection import ProtectionPolicy


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

Action = (
    ApplyModel
    | UpgradeInstances
    | ReimageInstances
    | ReimageAllInstances
    | RestartInstances
    | DeleteInstances
    | PowerAction
    | SetProtection
)


def describe(action: Action) -> str:
    """A short human description used in Events and logs (never contains secrets)."""
    match action:
        case ApplyModel(capacity=capacity, reason=reason):
            return f"{reason} (capacity {capacity})"
        case ReimageInstances(instance_ids=ids, image_version=version) if version:
            return f"{type(action).__name__} {','.join(ids)} to image {version}"
        case PowerOffInstances(instance_ids=ids, skip_shutdown=True):
            return f"PowerOffInstances {','.join(ids)} (skipShutdown)"
        case SetProtection(policies=policies):
            return "SetProtection " + "; ".join(p.describe() for p in policies)
        case _:
            ids = getattr(action, "instance_ids", ())
            return f"{type(action).__name__} {','.join(ids)}"
