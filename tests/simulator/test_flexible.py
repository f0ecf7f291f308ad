"""Flexible orchestration in the engine: instances are VMs named after the scale set, whose instance
ID is the VM name; no overprovisioning, no update domains, reimage-all refused with Azure's code."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from scaleset_operator.cloud.errors import InvalidRequest
from scaleset_operator.simulator.clock import ManualClock
from scaleset_operator.simulator.engine import SimulatedCloud

from .conftest import KEY, build_model

FLEX_NAME = re.compile(r"^web_[0-9a-f]{8}$")


def test_instances_are_vms_named_after_the_scale_set(cloud: SimulatedCloud, clock: ManualClock) -> None:
    cloud.apply(KEY, build_model(orchestration="Flexible", fault_domains=2), 4)
    clock.advance(60)
    observed = cloud.snapshot(KEY)

    assert observed is not None and observed.orchestration_mode == "Flexible"
    names = [i.instance_id for i in observed.instances]
    assert all(FLEX_NAME.match(n) for n in names), names
    assert len(set(names)) == 4
    assert [i.name for i in observed.instances] == [f"web{n.split('_')[1][:6]}" for n in names]
    assert sorted(i.fault_domain for i in observed.instances) == [0, 0, 1, 1]
    assert {i.update_domain for i in observed.instances} == {0}, "Flexible has no update domains"
    assert {(i.provisioning_state, i.health_state) for i in observed.instances} == {("Succeeded", "Healthy")}


def test_a_rerun_names_the_same_vms(clock: ManualClock) -> None:
    runs = []
    for _ in range(2):
        cloud = SimulatedCloud(ManualClock())
        cloud.apply(KEY, build_model(orchestration="Flexible", fault_domains=1), 3)
        runs.append(sorted(i.instance_id for i in cloud.snapshot(KEY).instances))  # type: ignore[union-attr]
    assert runs[0] == runs[1]


def test_no_overprovisioning_and_scale_in_removes_the_newest(cloud: SimulatedCloud, clock: ManualClock) -> None:
    model = build_model(orchestration="Flexible", fault_domains=1, overprovision=False)
    cloud.apply(KEY, model, 2)
    clock.advance(60)
    first = [i.instance_id for i in cloud.snapshot(KEY).instances]  # type: ignore[union-attr]
    cloud.apply(KEY, model, 4)
    assert len(cloud.snapshot(KEY).instances) == 4  # type: ignore[union-attr]
    clock.advance(60)
    cloud.apply(KEY, model, 2)
    clock.advance(60)
    assert [i.instance_id for i in cloud.snapshot(KEY).instances] == first  # type: ignore[union-attr]


def test_instance_operations_take_vm_names(cloud: SimulatedCloud, clock: ManualClock) -> None:
    cloud.apply(KEY, build_model(orchestration="Flexible", fault_domains=1), 3)
    clock.advance(60)
    cloud.apply(KEY, build_model(orchestration="Flexible", fault_domains=1, sku="Standard_D4s_v5"), 3)
    first, second, third = (i.instance_id for i in cloud.snapshot(KEY).instances)  # type: ignore[union-attr]

    cloud.upgrade_instances(KEY, [first])
    cloud.restart(KEY, [second])
    cloud.delete_instances(KEY, [third])
    clock.advance(60)
    observed = cloud.snapshot(KEY)

    assert observed is not None and observed.capacity == 2
    assert [(i.instance_id, i.latest_model_applied) for i in observed.instances] == [(first, True), (second, False)]


def test_reimage_all_is_refused_with_azures_code(cloud: SimulatedCloud, clock: ManualClock) -> None:
    cloud.apply(KEY, build_model(orchestration="Flexible", fault_domains=1), 1)
    clock.advance(60)
    vm = cloud.snapshot(KEY).instances[0].instance_id  # type: ignore[union-attr]
    with pytest.raises(InvalidRequest) as refused:
        cloud.reimage_all(KEY, [vm])
    assert (refused.value.status, refused.value.code) == (400, "OperationNotAllowed")
    assert "Flexible" in refused.value.message
    assert cloud.calls.since(0)[-1].error == "OperationNotAllowed"


@pytest.mark.parametrize(("zones", "fault_domains"), [((), 5), (("1", "2"), 2)])
def test_fault_domain_counts_azure_refuses(cloud: SimulatedCloud, zones: tuple[str, ...], fault_domains: int) -> None:
    model = build_model(orchestration="Uniform", zones=zones, fault_domains=fault_domains)
    with pytest.raises(InvalidRequest) as refused:
        cloud.apply(KEY, replace(model, orchestration_mode="Flexible"), 1)
    assert refused.value.code == "InvalidParameter" and "platformFaultDomainCount" in refused.value.message


def test_the_orchestration_mode_is_fixed_at_creation(cloud: SimulatedCloud) -> None:
    cloud.apply(KEY, build_model(orchestration="Flexible", fault_domains=1), 1)
    with pytest.raises(InvalidRequest) as refused:
        cloud.apply(KEY, build_model(orchestration="Uniform", fault_domains=1), 1)
    assert refused.value.code == "PropertyChangeNotAllowed" and "orchestrationMode" in refused.value.message


def test_protection_flags_are_refused_on_flexible_vms(cloud: SimulatedCloud) -> None:
    cloud.apply(KEY, build_model(orchestration="Flexible", fault_domains=1), 1)
    vm = cloud.snapshot(KEY).instances[0].instance_id  # type: ignore[union-attr]
    with pytest.raises(InvalidRequest, match="ARM resource locks"):
        cloud.set_protection(KEY, vm, scale_in=True)
