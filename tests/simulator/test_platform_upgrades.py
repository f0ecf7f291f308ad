"""Azure's own Automatic and Rolling modes and the OS rolling upgrade, as the simulator runs them
for clients other than the operator: batches by the policy, health gates, maxSurge, cancel."""

from __future__ import annotations

import pytest

from scaleset_operator.cloud.errors import Conflict
from scaleset_operator.simulator.clock import ManualClock
from scaleset_operator.simulator.engine import SimulatedCloud
from scaleset_operator.simulator.rolling import PlatformPolicy

from .conftest import JAMMY, KEY, build_model


def rolling(**policy: object) -> PlatformPolicy:
    return PlatformPolicy.from_json({"mode": "Rolling", "rollingUpgradePolicy": policy})


def created(cloud: SimulatedCloud, clock: ManualClock, count: int = 5, **model: object) -> None:
    cloud.apply(KEY, build_model(**model), count)  # type: ignore[arg-type]
    clock.advance(60)


def updating(cloud: SimulatedCloud) -> int:
    return sum(1 for i in cloud.snapshot(KEY).instances if i.provisioning_state == "Updating")  # type: ignore[union-attr]


def run(cloud: SimulatedCloud, clock: ManualClock, seconds: int = 600, step: int = 5) -> list[int]:
    """Advance in steps, recording how many instances were updating at each."""
    seen = []
    for _ in range(seconds // step):
        clock.advance(step)
        seen.append(updating(cloud))
    return seen


def test_rolling_moves_one_batch_at_a_time_and_reports_progress(cloud: SimulatedCloud, clock: ManualClock) -> None:
    created(cloud, clock, 10)
    cloud.apply(KEY, build_model(sku="Standard_D4s_v5"), 10)
    cloud.set_upgrade_policy(KEY, rolling(maxBatchInstancePercent=20, pauseTimeBetweenBatches="PT10S"))
    clock.advance(1)
    record = cloud.rolling_upgrade(KEY)
    assert record is not None and record.code == "RollingForward" and record.in_progress == 2
    assert record.pending == 8

    seen = run(cloud, clock)

    assert max(seen) == 2, seen
    assert record.code == "Completed" and len(record.successful) == 10 and record.pending == 0
    assert all(i.latest_model_applied for i in cloud.snapshot(KEY).instances)  # type: ignore[union-attr]
    assert cloud.calls.writes_since(0, KEY) == 2, "the platform's moves are not backend calls"


def test_automatic_upgrades_every_stale_instance_at_once(cloud: SimulatedCloud, clock: ManualClock) -> None:
    created(cloud, clock, 4)
    cloud.apply(KEY, build_model(sku="Standard_D4s_v5"), 4)
    cloud.set_upgrade_policy(KEY, PlatformPolicy.from_json({"mode": "Automatic"}))
    assert updating(cloud) == 4
    clock.advance(60)
    assert all(i.latest_model_applied for i in cloud.snapshot(KEY).instances)  # type: ignore[union-attr]


def test_manual_moves_nothing(cloud: SimulatedCloud, clock: ManualClock) -> None:
    created(cloud, clock, 3)
    cloud.apply(KEY, build_model(sku="Standard_D4s_v5"), 3)
    cloud.set_upgrade_policy(KEY, PlatformPolicy())
    assert max(run(cloud, clock, 120)) == 0
    assert cloud.rolling_upgrade(KEY) is None


def test_a_bad_batch_faults_the_upgrade_after_the_batch(cloud: SimulatedCloud, clock: ManualClock) -> None:
    created(cloud, clock, 5, image={**JAMMY, "version": "2024.01.10"})
    cloud.faults.mark_image_bad("2024.02.15")
    cloud.apply(KEY, build_model(image={**JAMMY, "version": "2024.02.15"}), 5)
    cloud.set_upgrade_policy(KEY, rolling(maxUnhealthyUpgradedInstancePercent=0))
    run(cloud, clock)
    record = cloud.rolling_upgrade(KEY)
    assert record is not None and record.code == "Faulted"
    assert record.error is not None
    assert record.error[0] == "MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade"
    assert (len(record.successful), len(record.failed)) == (0, 1), "stopped after the first batch"


def test_too_many_unhealthy_before_a_batch_stops_it(cloud: SimulatedCloud, clock: ManualClock) -> None:
    created(cloud, clock, 5)
    for instance in cloud.snapshot(KEY).instances[:2]:  # type: ignore[union-attr]
        cloud.set_health_override(KEY, instance.instance_id, "Unhealthy")
    cloud.apply(KEY, build_model(sku="Standard_D4s_v5"), 5)
    cloud.set_upgrade_policy(KEY, rolling())
    clock.advance(1)
    record = cloud.rolling_upgrade(KEY)
    assert record is not None and record.code == "Faulted"
    assert record.error is not None and record.error[0] == "MaxUnhealthyInstancePercentExceededBeforeRollingUpgrade"


def test_max_surge_replaces_batches_with_new_instances(cloud: SimulatedCloud, clock: ManualClock) -> None:
    created(cloud, clock, 5)
    old = {i.instance_id for i in cloud.snapshot(KEY).instances}  # type: ignore[union-attr]
    cloud.apply(KEY, build_model(sku="Standard_D4s_v5"), 5)
    cloud.set_upgrade_policy(KEY, rolling(maxSurge=True))
    run(cloud, clock, 900)
    observed = cloud.snapshot(KEY)
    assert observed is not None and len(observed.instances) == 5 and observed.capacity == 5
    assert not old & observed.ids, "every old instance was replaced"
    assert all(i.latest_model_applied for i in observed.instances)


def test_cancel_stops_after_the_batch_in_flight(cloud: SimulatedCloud, clock: ManualClock) -> None:
    created(cloud, clock, 5)
    cloud.apply(KEY, build_model(sku="Standard_D4s_v5"), 5)
    cloud.set_upgrade_policy(KEY, rolling())
    clock.advance(1)
    cloud.cancel_rolling_upgrade(KEY)
    run(cloud, clock)
    record = cloud.rolling_upgrade(KEY)
    assert record is not None and (record.code, record.last_action) == ("Cancelled", "Cancel")
    assert sum(i.latest_model_applied for i in cloud.snapshot(KEY).instances) == 1  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        cloud.cancel_rolling_upgrade(KEY)


def test_os_rolling_upgrade_reimages_to_the_latest_version_and_is_recorded(
    cloud: SimulatedCloud, clock: ManualClock
) -> None:
    created(cloud, clock, 3)
    cloud.catalog.publish_platform(JAMMY["publisher"], JAMMY["offer"], JAMMY["sku"], "2024.03.01")
    record = cloud.start_os_rolling_upgrade(KEY)
    seen = run(cloud, clock)
    assert max(seen) == 1
    assert record.code == "Completed" and record.target_version == "2024.03.01"
    assert {i.image.version for i in cloud.snapshot(KEY).instances} == {"2024.03.01"}  # type: ignore[union-attr]
    assert cloud.os_upgrade_history(KEY) == [record]


def test_flexible_rolls_too(cloud: SimulatedCloud, clock: ManualClock) -> None:
    created(cloud, clock, 4, orchestration="Flexible", fault_domains=1)
    cloud.apply(KEY, build_model(orchestration="Flexible", fault_domains=1, sku="Standard_D4s_v5"), 4)
    cloud.set_upgrade_policy(KEY, rolling(maxBatchInstancePercent=50))
    seen = run(cloud, clock)
    assert max(seen) == 2
    assert all(i.latest_model_applied for i in cloud.snapshot(KEY).instances)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"mode": "Sometimes"}, "upgradePolicy.mode"),
        ({"mode": "Rolling", "rollingUpgradePolicy": {"maxBatchInstancePercent": 4}}, "maxBatchInstancePercent"),
        ({"mode": "Rolling", "rollingUpgradePolicy": {"pauseTimeBetweenBatches": "soon"}}, "pauseTimeBetweenBatches"),
    ],
)
def test_invalid_policies_name_the_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        PlatformPolicy.from_json(raw)
