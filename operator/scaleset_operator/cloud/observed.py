"""What a backend reports: the scale set and, per instance, its model view and instance view.

One observation = one scale set GET plus one VM list with the instance view expanded (Flexible
orchestration on Azure: two filtered VM lists); the planner works only from this snapshot (plus the
recorded rollout), never from per-instance calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

ProvisioningState = Literal["Creating", "Updating", "Succeeded", "Failed", "Deleting"]
PowerState = Literal["starting", "running", "stopping", "stopped", "deallocated"]
HealthState = Literal["Healthy", "Unhealthy", "Initializing", "Unknown"]
OrchestrationMode = Literal["Uniform", "Flexible"]


@dataclass(frozen=True)
class ObservedImage:
    """The image an instance's OS disk was actually built from (``version`` resolved, never 'latest')."""

    version: str
    publisher: str | None = None
    offer: str | None = None
    sku: str | None = None
    gallery_image_id: str | None = None

    def display(self) -> str:
        if self.gallery_image_id:
            return f"{self.gallery_image_id.rsplit('/', 1)[-1]}:{self.version}"
        return f"{self.offer}:{self.sku}:{self.version}"


@dataclass(frozen=True)
class InstanceError:
    """Azure's own reason an instance's last operation failed (its instance view's
    ``ProvisioningState/failed/<code>`` status and message)."""

    code: str
    message: str
    operation: str | None = None


@dataclass(frozen=True)
class ObservedInstance:
    instance_id: str
    name: str
    zone: str | None
    fault_domain: int
    update_domain: int
    latest_model_applied: bool
    image: ObservedImage
    data_disks: dict[int, int]
    """lun -> provisioned size in GB (the real disks, which may differ from the model)."""
    os_profile_fingerprint: str | None
    """Fingerprint of the OS profile the instance was built with; None when the backend cannot tell."""
    provisioning_state: ProvisioningState
    power_state: PowerState
    health_state: HealthState
    created_at: datetime
    last_model_update: datetime | None = None
    protect_from_scale_in: bool = False
    protect_from_scale_set_actions: bool = False
    last_error: InstanceError | None = None
    """Set while the instance's provisioning state is Failed, when the cloud says why."""

    @property
    def busy(self) -> bool:
        return self.provisioning_state in ("Creating", "Updating", "Deleting")


@dataclass(frozen=True)
class ObservedScaleSet:
    name: str
    location: str
    capacity: int
    model_hash: str | None
    settings_hash: str | None
    provisioning_state: ProvisioningState
    instances: tuple[ObservedInstance, ...] = field(default_factory=tuple)
    etag: str | None = None
    orchestration_mode: OrchestrationMode = "Uniform"
    """Flexible: instance IDs are VM names (``web_1a2b3c4d``), not decimal numbers; never parse them."""

    def instance(self, instance_id: str) -> ObservedInstance | None:
        return next((i for i in self.instances if i.instance_id == instance_id), None)

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(i.instance_id for i in self.instances)


def instance_order(instance_id: str) -> tuple[int, int, str]:
    """A stable display and tie-break order for instance IDs: Uniform's decimal IDs by value, then
    Flexible's VM names (``web_1a2b3c4d``) by name. Nothing may depend on it for policy except where
    Azure's own rules order by ID (scale-in's highest IDs)."""
    if instance_id.isdigit():
        return (0, int(instance_id), "")
    return (1, 0, instance_id)
