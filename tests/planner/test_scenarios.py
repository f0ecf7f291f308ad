"""User-level scenarios of the planner: what a platform engineer sees happen.

Each test drives the real reconcile loop (``tests/harness.py``: the ``Reconciler``, Kubernetes in
memory, the fake backend over the simulator) to convergence and checks the outcome and the status a
user would read.
"""

from __future__ import annotations

from datetime import timedelta

from scaleset_operator.api.status import ScaleSetStatus
from scaleset_operator.planner import actions as act
from scaleset_operator.planner.rolling_policy import AFTER_BATCH_CODE, BEFORE_BATCH_CODE
from tests.harness import Run, new_run
from tests.planner.specs import EXTENSION, HEALTH_EXTENSION, UBUNTU, changed, make_spec

NEW = "2024.03.20"


def conditions(status: ScaleSetStatus) -> dict[str, tuple[str, str]]:
    return {c.type: (c.status, c.reason) for c in status.conditions}


async def converged(mode: str = "Rolling", capacity: int = 5, **extra: object) -> Run:
    run = new_run(make_spec(**{"sku.capacity": capacity, "upgradePolicy.mode": mode, **extra}))
    await run.converge()
    return run


def batches(run: Run, kind: type[act.Action] = act.UpgradeInstances) -> list[tuple[str, ...]]:
    return [a.instance_ids for a in run.actions if isinstance(a, kind)]  # type: ignore[attr-defined]


# -- core: create, scale, modes -------------------------------------------------------------------


async def test_create_reports_ready_with_counts_and_instances() -> None:
    run = await converged(capacity=3)
    status = run.status
    assert conditions(status)["Ready"] == ("True", "Converged")
    assert conditions(status)["Reconciling"][0] == "False"
    assert conditions(status)["Stalled"][0] == "False"
    assert (status.replicas, status.readyReplicas, status.updatedReplicas) == (3, 3, 3)
    assert [i.name for i in status.instances] == ["web000000", "web000001", "web000002"]
    assert status.selector == "scaleset.dev/name=web"
    assert status.observedGeneration == 1


async def test_scale_in_follows_the_default_policy_and_scale_out_adds_new_ids() -> None:
    run = await converged(capacity=5)
    run.set_spec(changed(run.spec, **{"sku.capacity": 3}))
    await run.converge()
    assert [i.instanceId for i in run.status.instances] == ["0", "1", "2"]
    run.set_spec(changed(run.spec, **{"sku.capacity": 4}))
    await run.converge()
    assert [i.instanceId for i in run.status.instances] == ["0", "1", "2", "5"]  # IDs are never reused


async def test_newest_vm_policy_removes_the_newest_instances() -> None:
    run = await converged(capacity=3, **{"scaleInPolicy": {"rules": ["OldestVM"]}})
    run.set_spec(changed(run.spec, **{"sku.capacity": 2}))
    await run.converge()
    assert [i.instanceId for i in run.status.instances] == ["1", "2"]


async def test_automatic_mode_converges_stale_instances_at_once() -> None:
    run = await converged("Automatic", capacity=4)
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.converge()
    assert batches(run) == [("0", "1", "2", "3")]
    assert run.status.updatedReplicas == 4


async def test_manual_mode_leaves_instances_stale_and_says_so() -> None:
    run = await converged("Manual", capacity=3)
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.converge()
    assert batches(run) == []
    assert run.status.updatedReplicas == 0
    assert all(not i.latestModelApplied for i in run.status.instances)
    assert "await a manual upgrade" in next(c.message for c in run.status.conditions if c.type == "Ready")
    assert run.status.upgradeState == "ManualPending 3"


async def test_idle_converged_scale_set_makes_no_backend_writes_and_keeps_its_status() -> None:
    run = await converged(capacity=3)
    before, patches = run.status, run.kube.patches
    marker = run.cloud.calls.marker()
    for _ in range(10):
        await run.step()
        run.clock.advance(60)
    assert run.cloud.calls.writes_since(marker) == 0
    assert run.status == before
    assert run.kube.patches == patches, "an idle ScaleSet writes no status"


async def test_os_profile_changes_reach_only_new_instances() -> None:
    run = await converged("Automatic", capacity=2)
    run.set_spec(changed(run.spec, **{"virtualMachineProfile.osProfile.adminUsername": "ops"}))
    run.set_spec(changed(run.spec, **{"sku.capacity": 3}))
    await run.converge()
    diffs = {i.instanceId: i.differsFromModel for i in run.status.instances}
    assert diffs["2"] == []
    assert any("osProfile" in d and "needs Reimage" in d for d in diffs["0"])
    assert conditions(run.status)["ReimageRequired"] == ("True", "DisksOrOSProfileDiffer")


# -- the reimage lab (seed 002) --------------------------------------------------------------------


async def test_lab_extension_propagates_disk_resize_needs_reimage_all() -> None:
    run = await converged("Rolling", capacity=2)
    run.set_spec(changed(run.spec, **{"virtualMachineProfile.extensionProfile": {"extensions": [EXTENSION]}}))
    await run.converge()
    assert run.status.updatedReplicas == 2
    assert run.status.rollingUpgrade is not None and run.status.rollingUpgrade.runningStatus.code == "Completed"

    run.set_spec(
        changed(run.spec, **{"virtualMachineProfile.storageProfile.dataDisks": [{"lun": 0, "diskSizeGB": 64}]})
    )
    await run.converge()
    assert all(i.latestModelApplied for i in run.status.instances)
    assert all(i.dataDisks[0].diskSizeGB == 32 for i in run.status.instances)
    assert conditions(run.status)["ReimageRequired"][0] == "True"

    run.add_operation("reimage-all", action="ReimageAll", allInstances=True)
    await run.converge(until=lambda r: r.operation("reimage-all").phase == "Succeeded")
    await run.converge()
    assert all(i.dataDisks[0].diskSizeGB == 64 for i in run.status.instances)
    assert conditions(run.status)["ReimageRequired"][0] == "False"


async def test_opt_in_reimage_all_on_disk_drift_rolls_in_batches() -> None:
    run = await converged("Rolling", capacity=10, **{"rolloutPolicy": {"reimageAllOnDiskDrift": True}})
    run.set_spec(
        changed(run.spec, **{"virtualMachineProfile.storageProfile.dataDisks": [{"lun": 0, "diskSizeGB": 64}]})
    )
    await run.converge()
    assert all(len(b) <= 2 for b in batches(run, act.ReimageAllInstances))
    assert all(i.dataDisks[0].diskSizeGB == 64 for i in run.status.instances)


# -- rolling policy --------------------------------------------------------------------------------


async def test_rolling_batches_respect_the_percentage_and_pause() -> None:
    run = await converged(capacity=10, **{"upgradePolicy.rollingUpgradePolicy": {"pauseTimeBetweenBatches": "PT2M"}})
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.converge(tick=10)
    assert [len(b) for b in batches(run)] == [2, 2, 2, 2, 2]


async def test_unhealthy_after_upgrade_faults_with_azure_code_and_stalls() -> None:
    run = await converged(
        capacity=5, **{"upgradePolicy.rollingUpgradePolicy": {"maxUnhealthyUpgradedInstancePercent": 0}}
    )
    run.cloud.set_health_override(run.key, "0", "Unhealthy")
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.converge(until=lambda r: r.status.rollout is None and r.status.rollingUpgrade is not None)
    rolling = run.status.rollingUpgrade
    assert rolling is not None and rolling.runningStatus.code == "Faulted"
    assert rolling.error is not None and rolling.error.code in (AFTER_BATCH_CODE, BEFORE_BATCH_CODE)
    assert conditions(run.status)["Stalled"] == ("True", rolling.error.code)


async def test_model_change_mid_rollout_restarts_toward_the_newest_model() -> None:
    run = await converged(capacity=10)
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    for _ in range(6):
        await run.step()
        run.clock.advance(10)
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D8s_v5"}))
    await run.converge()
    assert run.status.updatedReplicas == 10
    assert run.status.rollingUpgrade is not None and run.status.rollingUpgrade.runningStatus.code == "Completed"


# -- operations ------------------------------------------------------------------------------------


async def test_manual_mode_upgrade_instances_operation_on_two_instances() -> None:
    run = await converged("Manual", capacity=4)
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.converge()
    run.add_operation("upgrade-two", action="UpgradeInstances", instanceIds=["1", "3"])
    await run.converge(until=lambda r: r.operation("upgrade-two").phase == "Succeeded")
    await run.converge()
    assert {i.instanceId: i.latestModelApplied for i in run.status.instances} == {
        "0": False,
        "1": True,
        "2": False,
        "3": True,
    }
    assert run.operation("upgrade-two").affectedInstances == ["1", "3"]


async def test_operation_with_unknown_instance_fails_clearly() -> None:
    run = await converged("Manual", capacity=2)
    run.add_operation("bad", action="Restart", instanceIds=["7"])
    await run.step()
    status = run.operation("bad")
    assert status.phase == "Failed"
    assert "7 not found" in status.message and "it has: 0, 1" in status.message


async def test_protected_instances_are_skipped() -> None:
    run = await converged("Manual", capacity=2)
    run.cloud.set_protection(run.key, "0", scale_in=False, scale_set_actions=True)
    run.add_operation("reimage", action="Reimage", allInstances=True)
    await run.converge(until=lambda r: r.operation("reimage").phase == "Succeeded")
    assert run.operation("reimage").skippedInstances == ["0"]
    assert run.operation("reimage").affectedInstances == ["1"]


# -- automatic OS image upgrades (seed 001/004) ---------------------------------------------------


async def os_run(capacity: int = 10, **extra: object) -> Run:
    run = await converged(
        "Manual",
        capacity=capacity,
        **{"upgradePolicy.automaticOSUpgradePolicy": {"enableAutomaticOSUpgrade": True}, **extra},
    )
    return run


def publish(run: Run, version: str = NEW) -> None:
    """Publish a platform image version and let the next catalog check (osImageCheckInterval PT1M) come."""
    run.cloud.catalog.publish_platform(UBUNTU["publisher"], UBUNTU["offer"], UBUNTU["sku"], version)
    run.clock.advance(60)


async def test_os_upgrade_rolls_a_published_version_in_batches_and_records_history() -> None:
    run = await os_run(10)
    publish(run)
    await run.converge(tick=30)
    assert [len(b) for b in batches(run, act.ReimageInstances)] == [2, 2, 2, 2, 2]
    assert {i.imageVersion for i in run.status.instances} == {NEW}
    entry = run.status.osUpgradeHistory[0]
    assert entry.startedBy == "Platform" and entry.runningStatus.code == "Completed"
    assert entry.targetImageReference.version == NEW and entry.progress.successfulInstanceCount == 10


async def test_five_or_fewer_instances_upgrade_one_per_batch() -> None:
    run = await os_run(5)
    publish(run)
    await run.converge(tick=30)
    assert [len(b) for b in batches(run, act.ReimageInstances)] == [1, 1, 1, 1, 1]


async def test_bad_image_is_rolled_back_and_faults() -> None:
    run = await os_run(10)
    run.cloud.faults.mark_image_bad(NEW)
    publish(run)
    await run.converge(tick=30, until=lambda r: bool(r.status.osUpgradeHistory))
    entry = run.status.osUpgradeHistory[0]
    assert entry.runningStatus.code == "Faulted"
    assert entry.rollbackInfo.successfullyRolledbackInstanceCount == 2
    assert entry.error is not None and entry.error.code == AFTER_BATCH_CODE
    await run.converge(tick=30, until=lambda r: r.status.readyReplicas == 10)
    assert {i.imageVersion for i in run.status.instances} == {"2024.02.15"}  # first batch restored
    assert conditions(run.status)["Stalled"] == ("True", AFTER_BATCH_CODE)  # until a person acts


async def test_too_many_unhealthy_instances_block_the_start_with_the_reason() -> None:
    run = await os_run(10)
    for iid in ("0", "1", "2"):
        run.cloud.set_health_override(run.key, iid, "Unhealthy")
    publish(run)
    for _ in range(5):
        await run.step()
        run.clock.advance(30)
    assert run.status.rollout is None and batches(run, act.ReimageInstances) == []
    assert conditions(run.status)["AutomaticOSUpgrade"] == ("False", BEFORE_BATCH_CODE)


async def test_closed_maintenance_window_holds_until_it_opens() -> None:
    run = await os_run(
        5, **{"rolloutPolicy": {"maintenanceWindows": [{"days": ["Saturday"], "start": "02:00", "end": "04:00"}]}}
    )
    publish(run)
    for _ in range(5):
        await run.step()
        run.clock.advance(60)
    assert batches(run, act.ReimageInstances) == []
    assert conditions(run.status)["RolloutProgressing"] == ("False", "OutsideMaintenanceWindow")
    saturday = run.now().replace(hour=2, minute=0)
    while saturday.weekday() != 5 or saturday <= run.now():
        saturday += timedelta(days=1)
    run.clock.set(saturday)
    await run.converge(tick=30)
    assert {i.imageVersion for i in run.status.instances} == {NEW}


async def test_paused_holds_the_rollout_without_losing_progress() -> None:
    run = await os_run(10)
    publish(run)
    for _ in range(8):
        await run.step()
        run.clock.advance(30)
    done_before = run.status.rollout.done if run.status.rollout else []
    run.set_spec(changed(run.spec, paused=True))
    for _ in range(10):
        await run.step()
        run.clock.advance(30)
    assert run.status.rollout is not None and run.status.rollout.done[: len(done_before)] == done_before
    assert conditions(run.status)["RolloutProgressing"][1] == "Paused"
    run.set_spec(changed(run.spec, paused=False))
    await run.converge(tick=30)
    assert {i.imageVersion for i in run.status.instances} == {NEW}


async def test_gallery_version_not_replicated_to_the_region_is_ignored() -> None:
    gallery = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/web"
    run = new_run(
        make_spec(
            **{
                "sku.capacity": 2,
                "upgradePolicy.mode": "Manual",
                "upgradePolicy.automaticOSUpgradePolicy": {"enableAutomaticOSUpgrade": True},
                "virtualMachineProfile.storageProfile.imageReference": {"id": gallery},
            }
        )
    )
    run.cloud.catalog.publish_gallery(gallery, "1.0.0", ["westeurope"])
    await run.converge()
    run.cloud.catalog.publish_gallery(gallery, "1.1.0", ["eastus"])
    for _ in range(5):
        await run.step()
        run.clock.advance(120)
    assert {i.imageVersion for i in run.status.instances} == {"1.0.0"}
    run.cloud.catalog.replicate(gallery, "1.1.0", "westeurope")
    await run.converge(tick=120)
    assert {i.imageVersion for i in run.status.instances} == {"1.1.0"}


async def test_requirements_are_refused_with_a_clear_condition() -> None:
    run = new_run(
        make_spec(
            **{
                "upgradePolicy.automaticOSUpgradePolicy": {"enableAutomaticOSUpgrade": True},
                "virtualMachineProfile.networkProfile": {},
                "virtualMachineProfile.storageProfile.imageReference": {**UBUNTU, "version": "2024.01.10"},
            }
        )
    )
    await run.converge(until=lambda r: bool(r.status.conditions) and r.status.replicas == 5)
    state, reason = conditions(run.status)["AutomaticOSUpgrade"]
    message = next(c.message for c in run.status.conditions if c.type == "AutomaticOSUpgrade")
    assert (state, reason) == ("False", "AutomaticOSUpgradeRequirementsNotMet")
    assert "version 'latest'" in message and "health signal" in message
    assert conditions(run.status)["Stalled"][0] == "True"


async def test_health_extension_counts_as_a_health_signal() -> None:
    run = await os_run(
        5,
        **{
            "virtualMachineProfile.networkProfile": {},
            "virtualMachineProfile.extensionProfile": {"extensions": [HEALTH_EXTENSION]},
        },
    )
    assert conditions(run.status)["AutomaticOSUpgrade"][0] == "True"


async def test_user_started_os_upgrade_has_no_rollback_and_cancel_stops_after_the_batch() -> None:
    run = await converged("Manual", capacity=10)
    run.cloud.faults.mark_image_bad(NEW)
    publish(run)
    run.add_operation("start", action="StartOSUpgrade")
    await run.step()
    assert run.status.rollout is not None and run.status.rollout.startedBy == "User"
    assert run.status.rollout.rollback is False
    run.add_operation("cancel", action="CancelRollingUpgrade")
    await run.converge(tick=30, until=lambda r: r.operation("cancel").phase in ("Succeeded", "Failed"))
    entry = run.status.osUpgradeHistory[0]
    assert entry.startedBy == "User"
    assert entry.rollbackInfo.successfullyRolledbackInstanceCount == 0


async def test_start_os_upgrade_refused_when_image_is_pinned() -> None:
    run = await converged(
        "Manual",
        capacity=2,
        **{"virtualMachineProfile.storageProfile.imageReference": {**UBUNTU, "version": "2024.01.10"}},
    )
    run.add_operation("start", action="StartOSUpgrade")
    await run.step()
    assert run.operation("start").phase == "Failed"
    assert "version 'latest'" in run.operation("start").message


async def test_max_surge_replaces_batches_with_new_instances_then_deletes_the_old() -> None:
    run = await converged(capacity=5, **{"upgradePolicy.rollingUpgradePolicy": {"maxSurge": True}})
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    peak = 0

    def watch(r: Run, _: object) -> None:
        nonlocal peak
        observed = r.cloud.snapshot(r.key)
        assert observed is not None
        peak = max(peak, len(observed.instances))
        assert len(observed.instances) >= 5 or any(i.busy for i in observed.instances)

    await run.converge(check=watch)
    ids = [i.instanceId for i in run.status.instances]
    assert len(ids) == 5 and not set(ids) & {"0", "1", "2", "3", "4"}  # every old instance was replaced
    assert run.status.updatedReplicas == 5 and batches(run) == []  # no in-place upgrade
    assert peak == 6  # never more than one batch of surge on top of the capacity
    assert run.status.rollingUpgrade is not None and run.status.rollingUpgrade.progress.successfulInstanceCount == 5


async def test_max_surge_failed_replacements_are_deleted_and_the_old_instances_kept() -> None:
    run = await converged(
        capacity=5,
        **{"upgradePolicy.rollingUpgradePolicy": {"maxSurge": True, "maxUnhealthyUpgradedInstancePercent": 0}},
    )
    run.cloud.faults.mark_image_bad("2024.02.15")  # every new instance comes up unhealthy
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.converge(
        until=lambda r: (
            r.status.rollout is None
            and r.status.rollingUpgrade is not None
            and r.status.replicas == 5
            and not any(i.provisioningState != "Succeeded" for i in r.status.instances)
        )
    )
    assert run.status.rollingUpgrade is not None and run.status.rollingUpgrade.runningStatus.code == "Faulted"
    assert {i.instanceId for i in run.status.instances} == {"0", "1", "2", "3", "4"}


def never_stalled_while_progressing(run: Run) -> None:
    """kstatus truth: Stalled=True (Flux: failed) never beside RolloutProgressing or Reconciling True."""
    found = conditions(run.status)
    if found.get("Stalled", ("False", ""))[0] == "True":
        assert found.get("RolloutProgressing", ("", ""))[0] != "True", found
        assert found["Reconciling"][0] == "False", found


async def test_a_batch_within_its_health_timeout_is_progress_even_past_a_shorter_deadline() -> None:
    # Issue 16: a progressDeadline shorter than a batch reported a working rollout Stalled while
    # RolloutProgressing=True. The API server now refuses such a policy; one stored before the rule
    # (this harness does not go through the API server) must still never fail a working rollout.
    run = await converged(capacity=5, **{"rolloutPolicy": {"healthTimeout": "PT2H", "progressDeadline": "PT10M"}})
    run.cloud.set_durations(upgrade=100 * 60)  # each batch takes 100 minutes: far past the deadline
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    for _ in range(110):
        await run.step()
        never_stalled_while_progressing(run)
        assert conditions(run.status)["Stalled"][0] == "False", run.condition("Stalled")
        run.clock.advance(60)
    assert batches(run) == [("0",), ("1",)], "the first batch finished healthy and the second one started"
    assert conditions(run.status)["RolloutProgressing"] == ("True", "WaitingForBatch")


async def test_a_rollout_without_progress_is_stalled_after_the_deadline_and_no_longer_progressing() -> None:
    # maxSurge: the replacements are healthy, but deleting the old instance never finishes.
    policy = {"healthTimeout": "PT5M", "progressDeadline": "PT10M"}
    run = await converged(capacity=2, **{"rolloutPolicy": policy, "upgradePolicy.rollingUpgradePolicy.maxSurge": True})
    run.cloud.set_durations(delete=3 * 3600)
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    for _ in range(8):
        await run.step()
        never_stalled_while_progressing(run)
        run.clock.advance(60)
    assert conditions(run.status)["RolloutProgressing"] == ("True", "WaitingForBatch")
    assert conditions(run.status)["Stalled"][0] == "False"
    for _ in range(12):
        await run.step()
        never_stalled_while_progressing(run)
        run.clock.advance(60)
    found = conditions(run.status)
    assert found["Stalled"] == ("True", "ProgressDeadlineExceeded")
    assert found["RolloutProgressing"] == ("False", "ProgressDeadlineExceeded")
    assert "deleting" in next(c.message for c in run.status.conditions if c.type == "Stalled")


async def test_a_held_rollout_is_not_stalled_by_the_deadline() -> None:
    # Like a paused Deployment, a rollout held on purpose is not measured against progressDeadline.
    run = await converged(capacity=3, **{"rolloutPolicy": {"healthTimeout": "PT5M", "progressDeadline": "PT10M"}})
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5", "paused": True}))
    for _ in range(30):
        await run.step()
        run.clock.advance(120)
    assert conditions(run.status)["RolloutProgressing"] == ("False", "Paused")
    assert conditions(run.status)["Stalled"][0] == "False"
    run.set_spec(changed(run.spec, paused=False))
    await run.converge(check=lambda r, _: never_stalled_while_progressing(r))
    assert conditions(run.status)["Ready"][0] == "True"
