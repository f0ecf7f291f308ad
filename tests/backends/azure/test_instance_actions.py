"""Instance actions and declared instance protection, through the real reconcile loop on both
backends: the fake backend, and the real SDK-backed ``AzureBackend`` over HTTPS to the ARM endpoint,
in front of the same engine. Each ScaleSetOperation is one call per batch where Azure has a batch
call (Uniform), one call per instance where it has none (Flexible, simulateEviction, protection);
refused actions fail with Azure's reason and send nothing."""

from __future__ import annotations

from typing import Any

from scaleset_operator.api.operation import ScaleSetOperationStatus
from scaleset_operator.backends.azure import AzureBackend

from ..scenarios import Run, World, changed, make_spec

TERMINAL = ("Succeeded", "Failed")
FLEX = {"orchestrationMode": "Flexible", "platformFaultDomainCount": 1}


async def operate(run: Run, name: str, **spec: Any) -> ScaleSetOperationStatus:
    run.add_operation(name, **spec)
    await run.converge(until=lambda r: r.operation(name).phase in TERMINAL)
    await run.world.finish_operations()
    return run.operation(name)


def power(run: Run) -> dict[str, str]:
    return {i.instanceId: i.powerState for i in run.status.instances}


def writes(world: World, marker: int, run: Run) -> list[tuple[str, tuple[str, ...]]]:
    return [(c.kind, c.instance_ids) for c in world.cloud.calls.since(marker, run.key) if c.write and not c.error]


def http(world: World, marker: int) -> dict[str, int]:
    return world.arm.requests.counts(marker) if world.arm is not None else {}


async def manual(world: World, capacity: int, **extra: Any) -> Run:
    run = Run(world, make_spec(**{"sku.capacity": capacity, "upgradePolicy.mode": "Manual", **extra}))
    await run.converge()
    return run


async def test_each_action_on_a_batch_is_one_call(world: World) -> None:
    run = await manual(world, 4)
    marker, requests = world.cloud.calls.marker(), world.arm.requests.marker() if world.arm else 0

    off = await operate(run, "off", action="PowerOff", instanceIds=["0", "1"], skipShutdown=True)
    assert (off.phase, power(run)) == ("Succeeded", {"0": "stopped", "1": "stopped", "2": "running", "3": "running"})
    dealloc = await operate(run, "dealloc", action="Deallocate", instanceIds=["1", "2"])
    assert dealloc.phase == "Succeeded"
    assert power(run) == {"0": "stopped", "1": "deallocated", "2": "deallocated", "3": "running"}
    assert (run.status.readyReplicas, run.condition("Ready")[:2]) == (1, ("True", "Converged"))  # type: ignore[index]
    started = await operate(run, "start", action="Start", allInstances=True)
    assert (started.phase, started.affectedInstances, started.skippedInstances) == ("Succeeded", ["0", "1", "2"], ["3"])
    assert set(power(run).values()) == {"running"}
    redeployed = await operate(run, "redeploy", action="Redeploy", instanceIds=["0", "3"])
    world.cloud.offer_maintenance(run.key, ["2", "3"])
    await run.converge(until=lambda r: r.status.instances[2].maintenanceRedeployStatus is not None)
    offered = {i.instanceId: i.maintenanceRedeployStatus for i in run.status.instances}
    assert offered["2"] is not None and offered["2"].isCustomerInitiatedMaintenanceAllowed and offered["0"] is None
    maintained = await operate(run, "maintenance", action="PerformMaintenance", instanceIds=["2", "3"])

    assert (redeployed.phase, maintained.phase) == ("Succeeded", "Succeeded")
    assert all(i.maintenanceRedeployStatus is None for i in run.status.instances)
    assert run.status.readyReplicas == 4
    assert writes(world, marker, run) == [
        ("power_off", ("0", "1")),
        ("deallocate", ("1", "2")),
        ("start", ("0", "1", "2")),
        ("redeploy", ("0", "3")),
        ("perform_maintenance", ("2", "3")),
    ]
    if world.arm is not None:  # one scale set call per batch on the wire
        sent = http(world, requests)
        for route in ("poweroff", "deallocate", "start", "redeploy", "performmaintenance"):
            assert sent[f"vmss.{route}"] == 1, sent


async def test_power_off_sends_skip_shutdown(world: World) -> None:
    """skipShutdown reaches the cloud: the simulator halves a power-off without graceful shutdown."""
    run = await manual(world, 2)
    await world.backend.power_off(run.key, ["0"], skip_shutdown=True)
    await world.backend.power_off(run.key, ["1"])
    now = world.cloud.now()
    seconds = {d.observed.instance_id: (d.transition_at - now).total_seconds() for d in world.cloud.details(run.key)}  # type: ignore[operator]
    assert seconds == {"0": world.cloud.durations.stop / 2, "1": world.cloud.durations.stop}


async def test_refused_actions_say_why_and_send_nothing(world: World) -> None:
    protected = [{"instance": "0", "protectFromScaleSetActions": True}]
    run = await manual(world, 3, instanceProtection=protected)
    await operate(run, "dealloc", action="Deallocate", instanceIds=["2"])
    marker = world.cloud.calls.marker()

    off = await operate(run, "off-protected", action="PowerOff", instanceIds=["0"])
    evict = await operate(run, "evict-regular", action="SimulateEviction", instanceIds=["1"])
    off_deallocated = await operate(run, "off-deallocated", action="PowerOff", instanceIds=["2"])
    maintain = await operate(run, "no-window", action="PerformMaintenance", instanceIds=["1"])
    start = await operate(run, "start-running", action="Start", instanceIds=["1"])

    assert (off.phase, off.conditions[0].reason, off.skippedInstances) == ("Failed", "AllProtected", ["0"])
    assert (evict.phase, evict.conditions[0].reason) == ("Failed", "OperationNotAllowed")
    assert "instance 1 (web000001) is not a Spot instance (priority Regular)" in evict.message
    assert "instance 2 (web000002) is deallocated: Azure does not allow powerOff" in off_deallocated.message
    assert off_deallocated.phase == "Failed"
    assert maintain.phase == "Failed" and "has no planned maintenance" in maintain.message
    assert (start.phase, start.conditions[0].reason, start.skippedInstances) == ("Succeeded", "NothingToDo", ["1"])
    assert writes(world, marker, run) == [], "nothing was sent"


async def test_a_protected_instance_survives_scale_in_and_sits_out_a_rollout_until_unprotected(
    world: World,
) -> None:
    """Declared protection (by computer name) is set on the cloud; scale-in 5 -> 2 keeps the protected
    instance (Default policy: highest IDs first, 4 would go first); a Rolling upgrade skips it; once
    the entry is removed, the protection is removed and a rollout upgrades it."""
    run = Run(world, make_spec(**{"sku.capacity": 5}))
    await run.converge()
    marker, requests = world.cloud.calls.marker(), world.arm.requests.marker() if world.arm else 0
    entry = {"instance": "web000004", "protectFromScaleSetActions": True}
    run.set_spec(changed(run.spec, instanceProtection=[entry]))
    await run.converge()
    protection = run.status.instanceProtection
    assert [(e.instance, e.instanceId, e.state) for e in protection] == [("web000004", "4", "Applied")]
    assert run.condition("InstanceProtection")[:2] == ("True", "Applied")  # type: ignore[index]

    run.set_spec(changed(run.spec, **{"sku.capacity": 2}))
    await run.converge()
    assert [i.instanceId for i in run.status.instances] == ["0", "4"]
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.converge()
    assert {i.instanceId: i.latestModelApplied for i in run.status.instances} == {"0": True, "4": False}

    run.set_spec(changed(run.spec, instanceProtection=[]))
    await run.converge()
    assert [(i.instanceId, i.latestModelApplied, i.protectFromScaleIn) for i in run.status.instances] == [
        ("0", True, False),
        ("4", True, False),
    ]
    assert run.status.instanceProtection == [] and run.condition("InstanceProtection") is None
    sent = writes(world, marker, run)
    assert [w for w in sent if w[0] == "update_instance"] == [("update_instance", ("4",))] * 2
    assert [w[1] for w in sent if w[0] == "upgrade"] == [("0",), ("4",)], "4 was upgraded only once unprotected"
    if world.arm is not None:  # a read-modify-write of the scale set VM per change
        assert (http(world, requests)["vms.get"], http(world, requests)["vms.put"]) == (2, 2)


async def test_simulate_eviction_deallocates_spot_instances_one_call_each(world: World) -> None:
    spot = {"virtualMachineProfile.priority": "Spot", "virtualMachineProfile.evictionPolicy": "Deallocate"}
    run = await manual(world, 3, **spot)
    requests = world.arm.requests.marker() if world.arm else 0
    evicted = await operate(run, "evict", action="SimulateEviction", instanceIds=["0", "1"])
    assert (evicted.phase, power(run)) == ("Succeeded", {"0": "deallocated", "1": "deallocated", "2": "running"})
    ready = run.condition("Ready")
    assert ready is not None and ready[0] == "True" and "2 stopped, not counted as ready" in ready[2]
    if world.arm is not None:  # Azure has no batch eviction
        assert http(world, requests)["vms.simulateEviction"] == 2


async def test_flexible_actions_go_to_each_vm_and_protection_by_vm_name(world: World) -> None:
    run = Run(world, make_spec(**{**FLEX, "sku.capacity": 3, "upgradePolicy.mode": "Manual"}))
    await run.converge()
    first, *others = [i.instanceId for i in run.status.instances]
    run.set_spec(changed(run.spec, instanceProtection=[{"instance": first, "protectFromScaleSetActions": True}]))
    await run.converge()
    requests = world.arm.requests.marker() if world.arm else 0

    dealloc = await operate(run, "dealloc", action="Deallocate", allInstances=True)
    assert (dealloc.skippedInstances, sorted(dealloc.affectedInstances)) == ([first], sorted(others))
    assert power(run) == {first: "running", **{vm: "deallocated" for vm in others}}
    started = await operate(run, "start", action="Start", allInstances=True)
    assert started.phase == "Succeeded" and set(power(run).values()) == {"running"}
    assert run.status.instances[0].protectFromScaleSetActions
    if isinstance(world.backend, AzureBackend):
        sent = http(world, requests)
        assert (sent["vm.deallocate"], sent["vm.start"]) == (2, 2), sent
