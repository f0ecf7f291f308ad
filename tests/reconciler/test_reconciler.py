"""One pass of the real reconciler: observe -> decide once -> write intent -> act -> report."""

from __future__ import annotations

from typing import Any

from scaleset_operator.api.operation import ScaleSetOperationStatus
from scaleset_operator.planner import actions as act
from scaleset_operator.planner.requeue import BUSY_RESYNC_SECONDS, MAX_TRANSIENT_BACKOFF_SECONDS
from tests.harness import Run, new_run
from tests.planner.specs import changed, make_spec


async def rolling(capacity: int = 5) -> Run:
    run = new_run(make_spec(**{"sku.capacity": capacity}))
    await run.converge()
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.step()  # pushes the model
    run.clock.advance(2)
    return run


async def test_a_failed_call_is_reported_from_the_same_decision_and_not_replanned() -> None:
    run = await rolling()
    run.cloud.faults.fail_next("upgrade", status=503, code="ServiceUnavailable")
    marker = run.cloud.calls.marker()
    result = await run.step()

    assert result is not None and result.decision is not None
    assert [type(a) for a in result.decision.actions] == [act.UpgradeInstances]
    calls = [c for c in run.cloud.calls.since(marker, run.key) if c.write]
    assert [(c.kind, c.error) for c in calls] == [("upgrade", "ServiceUnavailable")], "one attempt, no re-plan"
    status = run.status
    assert status.rollout is not None and status.rollout.batch is not None and not status.rollout.batch.acted
    assert status.observation is not None and (status.observation.state, status.observation.phase) == ("Unknown", "act")
    assert run.conditions()["Reconciling"] == ("True", "BackendUnavailable")
    assert BUSY_RESYNC_SECONDS <= result.requeue_after <= MAX_TRANSIENT_BACKOFF_SECONDS

    run.clock.advance(result.requeue_after)
    retried = await run.step()
    assert retried is not None and retried.actions == result.actions, "the recorded batch is sent again, as is"
    assert run.status.rollout is not None and run.status.rollout.batch is not None and run.status.rollout.batch.acted
    assert run.status.observation is not None and run.status.observation.state == "Observed"


async def test_the_intent_is_written_before_the_call() -> None:
    run = await rolling()
    seen: list[Any] = []
    inner = run.backend.inner.upgrade_instances

    async def spying(key: Any, ids: Any) -> None:
        seen.append(run.status.rollout)
        await inner(key, ids)

    run.backend.inner.upgrade_instances = spying  # type: ignore[method-assign]
    await run.step()
    assert len(seen) == 1 and seen[0] is not None and seen[0].batch is not None and not seen[0].batch.acted


async def test_an_unobservable_cloud_plans_nothing_keeps_the_facts_and_warns_once() -> None:
    run = new_run(make_spec(**{"sku.capacity": 4}))
    await run.converge()
    before, marker, events = run.status, run.cloud.calls.marker(), len(run.events)
    run.cloud.throttle_for(60)
    for _ in range(5):
        result = await run.step()
        assert result is not None and not result.actions
        run.clock.advance(result.requeue_after)
    assert run.cloud.calls.writes_since(marker) == 0
    status = run.status
    assert (status.replicas, status.readyReplicas, status.instances) == (4, 4, before.instances)
    assert run.conditions()["Ready"] == ("Unknown", "Throttled")
    assert [e[1] for e in run.events[events:]] == ["Throttled"], "one Warning when the trouble starts"


async def test_an_invalid_spec_stalls_through_the_same_status_builder() -> None:
    run = new_run(make_spec(**{"sku.capacity": 2}))
    await run.converge()
    body = run.body()
    body["spec"]["sku"]["capacity"] = -1
    body["metadata"]["generation"] = 7
    result = await run.reconciler.reconcile(body, lambda *e: run.events.append(e))
    assert result.report is not None
    status = result.report.scale_set
    found = {c.type: (c.status, c.reason) for c in status.conditions}
    assert found["Stalled"] == ("True", "InvalidSpec") and found["Ready"] == ("False", "InvalidSpec")
    assert found["ReimageRequired"] == ("Unknown", "InvalidSpec")
    assert (status.observedGeneration, status.replicas) == (7, 2), "what was observed stays"
    assert run.events[-1][1] == "InvalidSpec"


async def test_a_missing_secret_stalls_with_its_name() -> None:
    spec = make_spec(**{"virtualMachineProfile.osProfile.adminPasswordSecretRef": {"name": "pw", "key": "password"}})
    run = new_run(spec)
    await run.step()
    stalled = run.condition("Stalled")
    assert stalled is not None and stalled[:2] == ("True", "SecretNotFound") and "Secret pw" in stalled[2]
    assert run.cloud.snapshot(run.key) is None, "nothing was created"


async def test_an_operation_without_its_scale_set_fails_through_the_same_builder() -> None:
    run = new_run(make_spec())
    run.add_operation("lost", action="Restart", allInstances=True)
    raw = run.operation_bodies()[0]
    await run.reconciler.fail_operation(raw, "ScaleSet 'web' not found in namespace default")
    status: ScaleSetOperationStatus = run.operation("lost")
    assert (status.phase, status.message) == ("Failed", "ScaleSet 'web' not found in namespace default")
    assert {c.type: (c.status, c.reason) for c in status.conditions}["Stalled"] == ("True", "ScaleSetNotFound")
