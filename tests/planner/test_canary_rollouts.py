"""Rollouts with steps, gates, promotion, abort and rollback, as a platform engineer sees them.

Each test drives the real reconcile loop (``tests/harness.py``); the Prometheus gates query a real
Prometheus-compatible HTTP server on loopback (``tests/prometheus_server.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scaleset_operator.planner import actions as act
from scaleset_operator.planner import revisions
from scaleset_operator.reconciler import PassResult
from tests.harness import Run, new_run
from tests.planner.specs import UBUNTU, changed, make_spec
from tests.prometheus_server import PrometheusServer

D4 = {"sku.name": "Standard_D4s_v5"}
CANARY = [
    {"percent": 10, "bakeTime": "PT5M"},
    {"percent": 50, "bakeTime": "PT1M", "pause": {}},
    {"percent": 100, "bakeTime": "PT1M"},
]
TOKEN = "prometheus-token"


def gate(query: str = "error_rate", **extra: Any) -> dict[str, Any]:
    prometheus = {"secretRef": {"name": "prom"}, "query": query, "operator": "LessThan", "threshold": 0.05}
    return {"name": "error-rate", "prometheus": prometheus, "interval": "PT30S", **extra}


async def converged(capacity: int = 10, **spec: Any) -> Run:
    run = new_run(make_spec(**{"sku.capacity": capacity, **spec}))
    await run.converge()
    return run


def with_prometheus(run: Run, prom: PrometheusServer) -> None:
    run.kube.secrets[("default", "prom", "url")] = prom.url
    run.kube.secrets[("default", "prom", "token")] = TOKEN


def reason(run: Run, kind: str = "RolloutProgressing") -> str | None:
    found = run.condition(kind)
    return found[1] if found is not None else None


def upgraded(run: Run) -> list[tuple[str, ...]]:
    return [a.instance_ids for a in run.actions if isinstance(a, act.UpgradeInstances)]


def checkpoints_kept(limits: list[int]) -> Callable[[Run, PassResult | None], None]:
    """A ``converge`` check: the instances done or in flight never pass the current step's checkpoint."""

    def check(run: Run, _: PassResult | None) -> None:
        record = run.status.rollout
        if record is None or record.step is None or record.step.index >= len(limits):
            return
        in_flight = len(record.batch.instanceIds) if record.batch is not None else 0
        assert len(record.done) + len(record.failed) + in_flight <= limits[record.step.index]

    return check


async def test_steps_hold_at_a_pause_until_promote() -> None:
    run = await converged(**{"rolloutPolicy.steps": CANARY})
    run.set_spec(changed(run.spec, **D4))
    check = checkpoints_kept([1, 5, 10])
    await run.converge(check=check, until=lambda r: reason(r) == "WaitingForPromotion")
    status = run.status
    assert status.updatedReplicas == 5 and upgraded(run) == [("0",), ("5",), ("1", "6"), ("2",)]
    assert run.condition("RolloutProgressing") == (
        "False",
        "WaitingForPromotion",
        "step 2/3 (50%): held until a Promote operation",
    )
    assert status.rollout is not None and status.rollout.step is not None and status.rollout.step.index == 1
    await run.run_for(600, tick=60)  # held: nothing moves, nothing stalls
    assert run.status.updatedReplicas == 5 and reason(run, "Stalled") == "Progressing"
    run.add_operation("promote-50", action="Promote")
    await run.converge(check=check)
    assert run.operation("promote-50").phase == "Succeeded"
    assert run.status.updatedReplicas == 10
    reasons = [e[1] for e in run.events]
    assert reasons.count("StepReached") == 3 and reasons.count("StepCompleted") == 3
    assert run.status.lastRollouts[0].outcome == "Completed"


async def test_promote_without_a_waiting_step_fails() -> None:
    run = await converged(capacity=2)
    run.add_operation("promote", action="Promote")
    await run.converge()
    assert run.operation("promote").phase == "Failed"
    assert run.operation("promote").message == "no rollout is in progress: nothing to promote"


async def test_steps_compose_with_automatic_os_upgrades() -> None:
    run = await converged(
        **{
            "upgradePolicy.automaticOSUpgradePolicy": {"enableAutomaticOSUpgrade": True},
            "rolloutPolicy.steps": [{"percent": 20, "bakeTime": "PT10M"}, {"percent": 100}],
        }
    )
    run.cloud.catalog.publish_platform(UBUNTU["publisher"], UBUNTU["offer"], UBUNTU["sku"], "2024.03.20")
    run.clock.advance(60)
    await run.converge(until=lambda r: reason(r) == "Baking")
    assert sum(i.imageVersion == "2024.03.20" for i in run.status.instances) == 2
    await run.converge()
    assert all(i.imageVersion == "2024.03.20" for i in run.status.instances)
    assert run.status.osUpgradeHistory[0].runningStatus.code == "Completed"


async def test_steps_compose_with_max_surge() -> None:
    run = await converged(
        capacity=4,
        **{
            "upgradePolicy.rollingUpgradePolicy": {"maxSurge": True},
            "rolloutPolicy.steps": [{"count": 1, "bakeTime": "PT2M"}],
        },
    )
    run.set_spec(changed(run.spec, **D4))
    await run.converge(check=checkpoints_kept([1]), until=lambda r: reason(r) == "Baking")
    assert run.status.updatedReplicas == 1 and run.status.replicas == 4
    await run.converge()
    assert run.status.updatedReplicas == 4 and run.status.replicas == 4


async def test_a_passing_gate_is_measured_during_the_bake_and_recorded() -> None:
    async with PrometheusServer(token=TOKEN) as prom:
        prom.set("error_rate", [({"job": "web"}, 0.01)])
        run = await converged(**{"rolloutPolicy.steps": [{"percent": 20, "bakeTime": "PT2M", "gates": [gate()]}]})
        with_prometheus(run, prom)
        run.set_spec(changed(run.spec, **D4))
        await run.converge(until=lambda r: reason(r) == "Baking")
        await run.step()
        record = run.status.rollout
        assert record is not None and record.step is not None
        assert [(g.name, g.phase, g.value, g.message) for g in record.step.gates] == [
            ("error-rate", "Passed", "0.01", '0.01{job="web"} < 0.05')
        ]
        await run.converge()
        assert run.status.updatedReplicas == 10
        assert 4 <= len(prom.queries) <= 6, "measured every 30 s of the 2 minute bake"
        completed = next(e for e in run.events if e[1] == "StepCompleted")
        assert completed[2] == "step 1/1 (20%) completed; gates passed: error-rate (0.01)"


async def test_a_failing_gate_stops_the_rollout() -> None:
    async with PrometheusServer(token=TOKEN) as prom:
        prom.set("error_rate", 0.2)
        run = await converged(**{"rolloutPolicy.steps": [{"percent": 10, "bakeTime": "PT5M", "gates": [gate()]}]})
        with_prometheus(run, prom)
        run.set_spec(changed(run.spec, **D4))
        await run.converge(until=lambda r: r.status.rollout is None and bool(r.status.lastRollouts))
    result = run.status.lastRollouts[0]
    assert (result.outcome, result.successful) == ("Faulted", 1)
    assert result.error is not None and result.error.code == "GateFailed"
    assert result.error.message == "step 1/1: gate error-rate: 0.2 is not < 0.05"
    assert run.condition("Stalled") == ("True", "GateFailed", result.error.message)
    assert run.status.updatedReplicas == 1 and run.status.pinnedRevision is None  # onGateFailure: Stop
    await run.run_for(300, tick=30)
    assert upgraded(run) == [("0",)], "a Faulted target is not retried"


async def test_a_failing_gate_rolls_the_model_back_to_the_previous_revision() -> None:
    async with PrometheusServer(token=TOKEN) as prom:
        prom.set("error_rate", 0.01)
        steps = [{"percent": 10, "bakeTime": "PT2M"}, {"percent": 50, "bakeTime": "PT5M", "gates": [gate()]}]
        run = await converged(**{"rolloutPolicy.steps": steps, "rolloutPolicy.onGateFailure": "Rollback"})
        with_prometheus(run, prom)
        run.set_spec(changed(run.spec, **D4))
        await run.converge(until=lambda r: reason(r) == "Baking" and r.status.updatedReplicas == 5)
        prom.set("error_rate", 0.3)
        await run.converge(until=lambda r: r.status.rollout is None and r.status.lastRollouts[0].kind == "Rollback")
    status = run.status
    assert status.pinnedRevision is not None
    assert (status.pinnedRevision.revision, status.pinnedRevision.reason) == (1, "GateFailed")
    assert [r.outcome for r in status.lastRollouts[:2]] == ["Completed", "Faulted"]
    assert all(i.latestModelApplied for i in status.instances)
    assert status.updatedReplicas == 10 and _sku(run) == "Standard_D2s_v5"
    assert run.condition("RolledBack")[:2] == ("True", "GateFailed")  # type: ignore[index]
    assert reason(run, "Stalled") == "RolledBack" and reason(run, "Ready") == "RolledBack"
    # fixing forward releases the pin and rolls the new model out
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D8s_v5", "rolloutPolicy.steps": []}))
    await run.converge()
    assert run.status.pinnedRevision is None and run.condition("RolledBack") is None
    assert _sku(run) == "Standard_D8s_v5" and [r.revision for r in run.status.revisions] == [3, 2, 1]


async def test_an_os_upgrade_gate_failure_restores_the_previous_images() -> None:
    async with PrometheusServer(token=TOKEN) as prom:
        prom.set("error_rate", 0.3)
        run = await converged(
            capacity=5,
            **{
                "upgradePolicy.automaticOSUpgradePolicy": {"enableAutomaticOSUpgrade": True},
                "rolloutPolicy.steps": [{"percent": 40, "bakeTime": "PT2M", "gates": [gate()]}],
                "rolloutPolicy.onGateFailure": "Rollback",
            },
        )
        with_prometheus(run, prom)
        run.cloud.catalog.publish_platform(UBUNTU["publisher"], UBUNTU["offer"], UBUNTU["sku"], "2024.03.20")
        run.clock.advance(60)
        await run.converge(until=lambda r: bool(r.status.osUpgradeHistory))
    entry = run.status.osUpgradeHistory[0]
    assert entry.runningStatus.code == "Faulted" and entry.error is not None and entry.error.code == "GateFailed"
    assert entry.rollbackInfo.successfullyRolledbackInstanceCount == 2
    assert {i.imageVersion for i in run.status.instances} == {"2024.02.15"}
    restored = [a for a in run.actions if isinstance(a, act.ReimageInstances) and a.image_version == "2024.02.15"]
    assert restored and all(len(a.instance_ids) == 1 for a in restored), (
        "rolled back under the policy (5: one per batch)"
    )


async def test_a_gate_that_cannot_be_measured_waits_then_stalls() -> None:
    run = await converged(
        capacity=5,
        **{"rolloutPolicy.steps": [{"percent": 20, "gates": [gate()]}], "rolloutPolicy.progressDeadline": "PT10M"},
    )
    run.kube.secrets[("default", "prom", "url")] = "http://127.0.0.1:9"  # nothing listens
    run.set_spec(changed(run.spec, **D4))
    await run.converge(until=lambda r: reason(r) == "WaitingForGates")
    await run.step()
    message = run.condition("RolloutProgressing")[2]  # type: ignore[index]
    assert (
        message
        == "step 1/1 (20%): baked; waiting for gates to pass: error-rate: could not reach it: ClientConnectorError"
    )
    await run.converge(until=lambda r: reason(r, "Stalled") == "ProgressDeadlineExceeded", tick=60)
    assert run.status.updatedReplicas == 1, "no evidence, no progress; never a rollback"


async def test_abort_stops_a_model_upgrade_and_rolls_it_back() -> None:
    run = await converged(**{"rolloutPolicy.steps": CANARY})
    run.set_spec(changed(run.spec, **D4))
    await run.converge(until=lambda r: reason(r) == "WaitingForPromotion")
    run.add_operation("abort", action="Abort")
    await run.converge(until=lambda r: r.operation("abort").phase in ("Succeeded", "Failed"))
    assert run.operation("abort").message == "aborted; rolled back to revision 1: Completed"
    assert run.status.pinnedRevision is not None and run.status.pinnedRevision.reason == "Abort"
    assert run.status.lastRollouts[1].error is not None and run.status.lastRollouts[1].error.code == "Aborted"
    assert _sku(run) == "Standard_D2s_v5" and all(i.latestModelApplied for i in run.status.instances)


async def test_rollback_to_the_previous_revision_and_a_revert_in_git() -> None:
    run = await converged(capacity=4)
    v1 = run.spec
    run.set_spec(changed(run.spec, **D4))
    await run.converge()
    assert [r.revision for r in run.status.revisions] == [2, 1]
    assert run.status.revisions[0].summary == "sku.name: Standard_D2s_v5 -> Standard_D4s_v5"
    owned = {name: body for (_, name), body in run.kube.revisions.items()}
    assert set(owned) == {r.name for r in run.status.revisions}
    body = owned[run.status.revisions[0].name]
    assert body["revision"] == 2 and body["metadata"]["ownerReferences"][0]["kind"] == "ScaleSet"
    assert body["data"]["spec"]["sku"] == {"name": "Standard_D4s_v5", "tier": "Standard"}

    run.add_operation("back", action="Rollback")
    await run.converge(until=lambda r: r.operation("back").phase in ("Succeeded", "Failed"))
    assert run.operation("back").message == "rollback to revision 1: Completed (4 instances)"
    assert _sku(run) == "Standard_D2s_v5" and run.status.updatedReplicas == 4
    assert reason(run, "RolledBack") == "Rollback" and reason(run, "Stalled") == "RolledBack"

    writes = len(run.actions)
    run.set_spec(v1)  # the revert in Git: the pin is released, nothing is rolled
    await run.converge()
    assert len(run.actions) == writes and run.status.pinnedRevision is None
    newest = run.status.revisions[0]
    assert (newest.revision, newest.hash) == (3, revisions.spec_hash(v1))


async def test_revision_history_is_limited() -> None:
    run = await converged(capacity=1, **{"rolloutPolicy.revisionHistoryLimit": 2})
    for size in ("Standard_D4s_v5", "Standard_D8s_v5", "Standard_D16s_v5"):
        run.set_spec(changed(run.spec, **{"sku.name": size}))
        await run.converge()
    assert [r.revision for r in run.status.revisions] == [4, 3]
    assert sorted(name for (_, name) in run.kube.revisions) == sorted(r.name for r in run.status.revisions)


async def test_a_change_beyond_max_disruption_is_held_until_approved() -> None:
    pinned = {"virtualMachineProfile.storageProfile.imageReference.version": "2024.02.15"}
    run = await converged(capacity=3, **{"rolloutPolicy.maxDisruption": "Restart", **pinned})
    run.cloud.catalog.publish_platform(UBUNTU["publisher"], UBUNTU["offer"], UBUNTU["sku"], "2024.03.20")
    run.set_spec(changed(run.spec, **{"virtualMachineProfile.storageProfile.imageReference.version": "2024.03.20"}))
    run.set_spec(changed(run.spec, **{"sku.capacity": 4}))  # the same edit, in practice
    await run.converge(until=lambda r: reason(r, "Stalled") == "ChangeHeld")
    await run.run_for(60, tick=5)
    preview = run.status.changePreview
    assert preview is not None and (preview.classification, preview.disruption, preview.held) == (
        "ModelUpgrade",
        "Reimage",
        True,
    )
    assert run.status.replicas == 4, "capacity is not held"
    assert {i.imageVersion for i in run.status.instances} == {"2024.02.15"} and not upgraded(run)
    assert run.condition("ChangeHeld")[:2] == ("True", "ExceedsMaxDisruption")  # type: ignore[index]
    run.add_operation("approve", action="ApproveChange", generation=run.generation)
    await run.converge()
    assert run.operation("approve").phase == "Succeeded"
    assert {i.imageVersion for i in run.status.instances} == {"2024.03.20"}
    assert run.condition("ChangeHeld")[:2] == ("False", "Approved")  # type: ignore[index]


def _sku(run: Run) -> str:
    """The SKU of the model the cloud holds now."""
    model = run.cloud.model(run.key)
    assert model is not None
    return model.sku_name
