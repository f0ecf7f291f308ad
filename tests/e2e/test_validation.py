"""Bad input is refused at ``kubectl apply`` time with a message that names the field to fix.

Each row is a manifest a user could plausibly write; the API server (schema + CEL rules generated
from the pydantic models) must refuse it and say which field is wrong. A second table covers
changes that are only invalid on an existing object (immutable fields, CEL transition rules).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from scaleset_operator.api.durations import ISO8601_DURATION_PATTERN
from scaleset_operator.localcp import Kubectl
from tests.e2e.journeys import example, with_name

GALLERY = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/web"


def manifest(name: str, **spec: Any) -> dict[str, Any]:
    return with_name(example("rolling-web-tier"), name, **spec)


CPU_OUT = {
    "metricTrigger": {"metricName": "Percentage CPU", "operator": "GreaterThan", "threshold": 70},
    "scaleAction": {"direction": "Increase"},
}
AUTOSCALE = {"profiles": [{"name": "default", "capacity": {"minimum": 2, "maximum": 10, "default": 2}}]}


def autoscaled(path: str = "", value: Any = None) -> dict[str, Any]:
    """Overrides that turn the example into an autoscaled scale set with ``autoscale.<path>`` set."""
    settings = copy.deepcopy(AUTOSCALE)
    settings["profiles"][0]["rules"] = [copy.deepcopy(CPU_OUT)]
    if path:
        node: Any = settings
        *parents, leaf = path.split(".")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(leaf) if leaf.isdigit() else leaf] = value
    return {"capacityOwner": "Autoscale", "autoscale": settings}


INVALID: list[tuple[str, dict[str, Any], list[str]]] = [
    ("capacity-too-large", {"sku.capacity": 1001}, ["spec.sku.capacity", "1000"]),
    ("capacity-negative", {"sku.capacity": -1}, ["spec.sku.capacity"]),
    ("unknown-mode", {"upgradePolicy.mode": "Sometimes"}, ["spec.upgradePolicy.mode", "Automatic"]),
    (
        "batch-too-small",
        {"upgradePolicy.rollingUpgradePolicy.maxBatchInstancePercent": 4},
        ["maxBatchInstancePercent", "5"],
    ),
    (
        "unhealthy-too-large",
        {"upgradePolicy.rollingUpgradePolicy.maxUnhealthyInstancePercent": 101},
        ["maxUnhealthyInstancePercent"],
    ),
    (
        "upgraded-negative",
        {"upgradePolicy.rollingUpgradePolicy.maxUnhealthyUpgradedInstancePercent": -1},
        ["maxUnhealthyUpgradedInstancePercent"],
    ),
    (
        "pause-not-iso",
        {"upgradePolicy.rollingUpgradePolicy.pauseTimeBetweenBatches": "5 minutes"},
        ["spec.upgradePolicy.rollingUpgradePolicy.pauseTimeBetweenBatches", "must be an ISO 8601 duration"],
    ),
    (
        "prefix-too-long",
        {"virtualMachineProfile.osProfile.computerNamePrefix": "a-very-long-prefix"},
        ["computerNamePrefix", "15"],
    ),
    (
        "duplicate-lun",
        {
            "virtualMachineProfile.storageProfile.dataDisks": [
                {"lun": 0, "diskSizeGB": 32},
                {"lun": 0, "diskSizeGB": 64},
            ]
        },
        ["dataDisks[1]", "Duplicate value"],
    ),
    (
        "inline-password",
        {"virtualMachineProfile.osProfile.adminPassword": "hunter2"},
        ["adminPassword", "unknown field"],
    ),
    (
        "password-without-user",
        {
            "virtualMachineProfile.osProfile.adminUsername": None,
            "virtualMachineProfile.osProfile.adminPasswordSecretRef": {"name": "s", "key": "k"},
        },
        ["adminPasswordSecretRef needs adminUsername"],
    ),
    (
        "image-both-forms",
        {"virtualMachineProfile.storageProfile.imageReference.id": GALLERY},
        ["either id (gallery image) or publisher"],
    ),
    ("bad-zone", {"zones": ["4"]}, ["spec.zones[0]"]),
    (
        "bad-subscription",
        {"azure.subscriptionId": "not-a-guid"},
        ["spec.azure.subscriptionId", "must be a subscription ID"],
    ),
    (
        "bad-window",
        {"rolloutPolicy.maintenanceWindows": [{"days": ["Monday"], "start": "25:00", "end": "02:00"}]},
        ["spec.rolloutPolicy.maintenanceWindows[0].start", "must be a UTC time of day as HH:MM"],
    ),
    ("bad-deletion-policy", {"deletionPolicy": "Keep"}, ["spec.deletionPolicy"]),
    (
        "windows-config-on-linux",
        {"virtualMachineProfile.osProfile.windowsConfiguration": {"enableAutomaticUpdates": False}},
        ["windowsConfiguration needs storageProfile.osDisk.osType: Windows"],
    ),
    (
        "no-ssh-key",
        {"virtualMachineProfile.osProfile.linuxConfiguration": {"disablePasswordAuthentication": True}},
        ["disablePasswordAuthentication needs at least one ssh.publicKeys entry"],
    ),
    ("fault-domains", {"platformFaultDomainCount": 6}, ["spec.platformFaultDomainCount"]),
    ("missing-sku", {"sku": None}, ["spec.sku", "Required value"]),
    ("owner-without-settings", {"capacityOwner": "Autoscale"}, ["spec.capacityOwner", "needs spec.autoscale"]),
    (
        "settings-without-owner",
        {"autoscale": AUTOSCALE},
        ["spec.capacityOwner", "needs capacityOwner: Autoscale"],
    ),
    ("unknown-owner", {"capacityOwner": "HPA"}, ["spec.capacityOwner", "Unsupported value"]),
    (
        "minimum-above-maximum",
        autoscaled("profiles.0.capacity", {"minimum": 5, "maximum": 3, "default": 3}),
        ["spec.autoscale.profiles[0].capacity", "capacity.minimum must not exceed capacity.maximum"],
    ),
    (
        "window-too-short",
        autoscaled("profiles.0.rules.0.metricTrigger.timeWindow", "PT2M"),
        ["metricTrigger.timeWindow", "timeWindow must be between PT5M and PT12H"],
    ),
    (
        "cooldown-in-seconds",
        autoscaled("profiles.0.rules.0.scaleAction.cooldown", "PT30S"),
        ["scaleAction.cooldown"],
    ),
    (
        "unknown-operator",
        autoscaled("profiles.0.rules.0.metricTrigger.operator", "Above"),
        ["metricTrigger.operator", "GreaterThanOrEqual"],
    ),
    (
        "unknown-time-zone",
        autoscaled(
            "profiles.0.recurrence",
            {"schedule": {"timeZone": "Pacific Time", "days": ["Monday"], "hours": [9]}},
        ),
        ["recurrence.schedule.timeZone", "Pacific Standard Time"],
    ),
    (
        "fixed-date-and-recurrence",
        autoscaled(
            "profiles.0",
            {
                **AUTOSCALE["profiles"][0],
                "fixedDate": {"start": "2024-11-29T00:00:00", "end": "2024-11-30T00:00:00"},
                "recurrence": {"schedule": {"timeZone": "UTC", "days": ["Friday"], "hours": [0]}},
            },
        ),
        ["a profile has either fixedDate or recurrence, not both"],
    ),
    (
        "two-default-profiles",
        {
            "capacityOwner": "Autoscale",
            "autoscale": {"profiles": [AUTOSCALE["profiles"][0], {**AUTOSCALE["profiles"][0], "name": "other"}]},
        },
        ["spec.autoscale", "at most one profile may have neither fixedDate nor recurrence"],
    ),
    (
        "eviction-on-regular",
        {"virtualMachineProfile.evictionPolicy": "Delete"},
        ["spec.virtualMachineProfile.evictionPolicy", "evictionPolicy needs priority Spot or Low"],
    ),
    (
        "identity-without-users",
        {"identity": {"type": "UserAssigned"}},
        ["spec.identity", "userAssignedIdentities is needed exactly when identity.type includes UserAssigned"],
    ),
    (
        "inline-protected-settings",
        {
            "virtualMachineProfile.extensionProfile": {
                "extensions": [
                    {
                        "name": "script",
                        "properties": {
                            "publisher": "Microsoft.Azure.Extensions",
                            "type": "CustomScript",
                            "typeHandlerVersion": "2.1",
                            "protectedSettings": {"commandToExecute": "echo secret"},
                        },
                    }
                ]
            }
        },
        ["protectedSettings", "unknown field"],
    ),
    (
        "repairs-grace-not-iso",
        {"automaticRepairsPolicy": {"enabled": True, "gracePeriod": "10 minutes"}},
        ["spec.automaticRepairsPolicy.gracePeriod"],
    ),
]


@pytest.mark.parametrize(("name", "change", "expected"), INVALID, ids=[row[0] for row in INVALID])
def test_invalid_manifest_is_refused_naming_the_field(
    kubectl: Kubectl, scaleset_crds: list[str], namespace: str, name: str, change: dict[str, Any], expected: list[str]
) -> None:
    del scaleset_crds
    result = kubectl.fails("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(manifest(name, **change)))
    for fragment in expected:
        assert fragment in result.stderr, f"{fragment!r} not in the API server's message:\n{result.stderr}"
    assert kubectl("get", "vmss", name, "-n", namespace).returncode != 0, "nothing may be stored"


@pytest.mark.parametrize(
    "field", ["rolloutPolicy.healthTimeout", "upgradePolicy.rollingUpgradePolicy.pauseTimeBetweenBatches"]
)
def test_a_bad_duration_is_refused_with_a_readable_message_naming_the_field(
    kubectl: Kubectl, scaleset_crds: list[str], namespace: str, field: str
) -> None:
    del scaleset_crds
    bad = manifest("bad-duration", **{field: "5m"})
    result = kubectl.fails("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(bad))
    assert f"spec.{field}: Invalid value" in result.stderr, result.stderr
    assert "must be an ISO 8601 duration in days, hours, minutes and seconds, such as PT5M" in result.stderr
    # The message is the readable one only: no regular expression echoed back at the user.
    assert "should match" not in result.stderr and ISO8601_DURATION_PATTERN not in result.stderr, result.stderr


DEADLINES: list[tuple[str, str, bool]] = [
    ("PT5M", "PT30M", True),  # the defaults
    ("PT30M", "PT30M", True),
    ("PT2H", "PT10M", False),  # issue 16: a working rollout was reported Stalled
    ("PT1H30M", "PT1H29M59.5S", False),
    ("PT90S", "PT2M", True),
    ("P1D", "PT23H", False),
    ("P1DT1H", "P1DT1H", True),
    ("PT20M", "P1D", True),
]


@pytest.mark.parametrize(("health", "deadline", "accepted"), DEADLINES, ids=[f"{h}-{d}" for h, d, _ in DEADLINES])
def test_a_progress_deadline_shorter_than_the_health_timeout_is_refused(
    kubectl: Kubectl, scaleset_crds: list[str], namespace: str, health: str, deadline: str, accepted: bool
) -> None:
    # CEL compares the two ISO 8601 durations (days, hours, minutes, fractional seconds).
    del scaleset_crds
    policy = {"rolloutPolicy.healthTimeout": health, "rolloutPolicy.progressDeadline": deadline}
    result = kubectl(
        "apply", "--dry-run=server", "-n", namespace, "-f", "-", input=yaml.safe_dump(manifest("deadline", **policy))
    )
    assert (result.returncode == 0) == accepted, result.stderr
    if not accepted:
        assert "spec.rolloutPolicy.progressDeadline: Invalid value" in result.stderr, result.stderr
        assert "progressDeadline must be at least healthTimeout" in result.stderr, result.stderr


IMMUTABLE: list[tuple[str, dict[str, Any], str]] = [
    ("location", {"location": "northeurope"}, "location cannot change after creation"),
    ("coordinates", {"azure.resourceGroup": "rg-other"}, "azure (subscriptionId, resourceGroup, name) cannot change"),
    (
        "publisher",
        {"virtualMachineProfile.storageProfile.imageReference.publisher": "Debian"},
        "imageReference.publisher cannot change",
    ),
    (
        "offer",
        {"virtualMachineProfile.storageProfile.imageReference.offer": "debian-12"},
        "imageReference.offer cannot change",
    ),
    ("fault-domains", {"platformFaultDomainCount": 2}, "platformFaultDomainCount cannot change after creation"),
    ("prefix", {"virtualMachineProfile.osProfile.computerNamePrefix": "api"}, "computerNamePrefix cannot change"),
    ("orchestration", {"orchestrationMode": "Flexible"}, "orchestrationMode cannot change after creation"),
    ("priority", {"virtualMachineProfile.priority": "Spot"}, "priority cannot change after creation"),
]


@pytest.mark.parametrize(("field", "change", "expected"), IMMUTABLE, ids=[row[0] for row in IMMUTABLE])
def test_fields_that_cannot_change_after_creation_are_refused(
    kubectl: Kubectl, scaleset_crds: list[str], namespace: str, field: str, change: dict[str, Any], expected: str
) -> None:
    del scaleset_crds
    original = manifest(f"immutable-{field}")
    kubectl.ok("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(original))
    edited = copy.deepcopy(original)
    for path, value in change.items():
        node = edited["spec"]
        *parents, leaf = path.split(".")
        for part in parents:
            node = node[part]
        node[leaf] = value
    result = kubectl.fails("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(edited))
    assert expected in result.stderr, result.stderr


def test_operation_spec_is_immutable_and_targets_are_checked(
    kubectl: Kubectl, scaleset_crds: list[str], namespace: str
) -> None:
    del scaleset_crds
    op = {
        "apiVersion": "scaleset.dev/v1alpha1",
        "kind": "ScaleSetOperation",
        "metadata": {"name": "reimage-two"},
        "spec": {"scaleSetName": "web", "action": "Reimage", "instanceIds": ["0", "1"]},
    }
    kubectl.ok("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(op))
    op["spec"]["instanceIds"] = ["2"]
    result = kubectl.fails("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(op))
    assert "a ScaleSetOperation is immutable" in result.stderr
    neither = {**op, "metadata": {"name": "no-targets"}, "spec": {"scaleSetName": "web", "action": "Restart"}}
    result = kubectl.fails("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(neither))
    assert "set exactly one of instanceIds (non-empty) or allInstances" in result.stderr
    bad_id = {
        **op,
        "metadata": {"name": "bad-id"},
        "spec": {"scaleSetName": "web", "action": "Restart", "instanceIds": ["web000001"]},
    }
    result = kubectl.fails("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(bad_id))
    assert "spec.instanceIds[0]" in result.stderr
