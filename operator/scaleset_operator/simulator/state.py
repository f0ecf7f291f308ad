"""The simulator's mutable records of scale sets and instances, and how they read back.

Only the engine mutates these; everything leaving the simulator is converted to the frozen
``cloud.observed`` dataclasses by ``observe``, so callers can never alter simulated state by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from scaleset_operator.api.scaleset import ImageReference
from scaleset_operator.cloud.desired import DesiredModel, ScaleSetKey
from scaleset_operator.cloud.observed import (
    HealthState,
    InstanceError,
    ObservedImage,
    ObservedInstance,
    ObservedScaleSet,
    PowerState,
    ProvisioningState,
)
from scaleset_operator.simulator.metrics import DEFAULT_LOAD, MetricStore
from scaleset_operator.simulator.rolling import PlatformPolicy, RollingUpgrade

BUSY_STATES: frozenset[ProvisioningState] = frozenset({"Creating", "Updating", "Deleting"})
OS_HISTORY = 5


@dataclass
class SimInstance:
    number: int
    name: str
    zone: str | None
    fault_domain: int
    update_domain: int
    created_at: datetime
    applied_model_hash: str
    built_from: ImageReference
    """The model's image reference the OS disk was last built from (an upgrade rebuilds the OS
    disk only when the model's reference differs from it)."""
    image: ObservedImage
    data_disks: dict[int, int]
    os_profile_fingerprint: str
    provisioning_state: ProvisioningState = "Creating"
    power_state: PowerState = "starting"
    health_state: HealthState = "Initializing"
    last_model_update: datetime | None = None
    protect_from_scale_in: bool = False
    protect_from_scale_set_actions: bool = False
    health_override: HealthState | None = None
    operation: str | None = "create"
    """The operation in flight (create, upgrade, reimage, reimage_all, restart, delete)."""
    transition_at: datetime | None = None
    """When the operation in flight completes."""
    health_at: datetime | None = None
    """When Initializing turns into Healthy/Unhealthy."""
    token: int = 0
    """Bumped by every new operation, so a superseded completion event does nothing."""
    surplus: bool = False
    """An overprovisioned extra: deleted once its batch has finished creating."""
    load: float | None = None
    """This instance's own load (percent CPU); None follows the scale set's."""
    error: InstanceError | None = None
    """Why the last operation failed (kept while the instance is Failed, cleared by the next one)."""
    vm_name: str | None = None
    """Flexible orchestration: the VM's name (``web_1a2b3c4d``), which is its instance ID."""

    @property
    def instance_id(self) -> str:
        return self.vm_name if self.vm_name is not None else str(self.number)

    @property
    def busy(self) -> bool:
        return self.provisioning_state in BUSY_STATES

    def reported_health(self) -> HealthState:
        """A forced override wins once the instance is up (or has failed), never while it boots."""
        settled = self.provisioning_state == "Failed" or (
            self.provisioning_state == "Succeeded" and self.health_state != "Initializing"
        )
        if self.health_override is not None and settled:
            return self.health_override
        return self.health_state

    def observe(self, current_model_hash: str) -> ObservedInstance:
        return ObservedInstance(
            instance_id=self.instance_id,
            name=self.name,
            zone=self.zone,
            fault_domain=self.fault_domain,
            update_domain=self.update_domain,
            latest_model_applied=self.applied_model_hash == current_model_hash,
            image=self.image,
            data_disks=dict(self.data_disks),
            os_profile_fingerprint=self.os_profile_fingerprint,
            provisioning_state=self.provisioning_state,
            power_state=self.power_state,
            health_state=self.reported_health(),
            created_at=self.created_at,
            last_model_update=self.last_model_update,
            protect_from_scale_in=self.protect_from_scale_in,
            protect_from_scale_set_actions=self.protect_from_scale_set_actions,
            last_error=self.error if self.provisioning_state == "Failed" else None,
        )


@dataclass
class SimScaleSet:
    key: ScaleSetKey
    model: DesiredModel
    """Stored without the password (only its fingerprint), like a cloud that never returns secrets."""
    model_hash: str
    settings_hash: str
    capacity: int
    created_at: datetime
    instances: dict[str, SimInstance] = field(default_factory=dict)
    next_number: int = 0
    """The next instance ID; IDs are never reused."""
    created: bool = False
    """False until the initial instances have finished creating (provisioning state Creating)."""
    deleting_at: datetime | None = None
    etag: int = 1
    load: float = DEFAULT_LOAD
    """The load (percent CPU) of every instance without its own; drives the metrics."""
    metrics: MetricStore = field(default_factory=MetricStore)
    platform_policy: PlatformPolicy = field(default_factory=PlatformPolicy)
    """Azure's upgrade policy as a client set it (the operator always sends Manual)."""
    rolling: RollingUpgrade | None = None
    """The latest rolling upgrade the platform ran (``rollingUpgrades/latest``)."""
    os_history: list[RollingUpgrade] = field(default_factory=list)
    """OS rolling upgrades, oldest first (``osUpgradeHistory``), the last ``OS_HISTORY`` kept."""

    @property
    def flexible(self) -> bool:
        return self.model.flexible

    def live(self) -> list[SimInstance]:
        """Instances not being deleted, in ID order."""
        return sorted(
            (i for i in self.instances.values() if i.provisioning_state != "Deleting"), key=lambda i: i.number
        )

    def counted(self) -> list[SimInstance]:
        """The instances that make up ``capacity`` (live, not overprovisioned extras)."""
        return [i for i in self.live() if not i.surplus]

    def reporting_loads(self) -> dict[str, float]:
        """The load of every instance that reports metrics now (running, not being created or deleted)."""
        return {
            i.instance_id: self.load if i.load is None else i.load
            for i in self.instances.values()
            if i.provisioning_state in ("Succeeded", "Updating") and i.power_state == "running"
        }

    def provisioning_state(self) -> ProvisioningState:
        if self.deleting_at is not None:
            return "Deleting"
        if not self.created:
            return "Creating"
        if any(i.provisioning_state in ("Creating", "Deleting") for i in self.instances.values()):
            return "Updating"
        return "Succeeded"

    def observe(self) -> ObservedScaleSet:
        return ObservedScaleSet(
            name=self.key.name,
            location=self.model.location,
            capacity=self.capacity,
            model_hash=self.model_hash,
            settings_hash=self.settings_hash,
            provisioning_state=self.provisioning_state(),
            instances=tuple(
                i.observe(self.model_hash) for i in sorted(self.instances.values(), key=lambda i: i.number)
            ),
            etag=str(self.etag),
            orchestration_mode=self.model.orchestration_mode,
        )
