"""Warning instances before disrupting them: the drain Job hook and Azure's Scheduled Events.

The in-memory Kubernetes (``MemoryKube``) keeps the Jobs the operator creates; a test marks one
Complete or Failed as the Job controller would (``finish_job``).
"""

from __future__ import annotations

from typing import Any

from scaleset_operator.planner import actions as act
from scaleset_operator.planner.drain_hook import job_name
from tests.harness import Run, new_run
from tests.planner.specs import changed, make_spec

TEMPLATE = {
    "metadata": {"labels": {"team": "web"}},
    "spec": {
        "backoffLimit": 0,
        "template": {
            "spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "drain", "image": "busybox", "command": ["sh", "-c", "echo drain"]}],
            }
        },
    },
}
D4 = {"sku.name": "Standard_D4s_v5"}


async def draining_run(capacity: int = 4, drain_timeout: str = "PT10M", **spec: Any) -> Run:
    run = new_run(
        make_spec(
            **{
                "sku.capacity": capacity,
                "rolloutPolicy.drain": {"jobTemplate": TEMPLATE, "timeout": drain_timeout},
                **spec,
            }
        )
    )
    await run.converge()
    run.set_spec(changed(run.spec, **D4))
    return run


def reason(run: Run, kind: str = "RolloutProgressing") -> str | None:
    found = run.condition(kind)
    return found[1] if found is not None else None


def jobs(run: Run) -> dict[str, dict[str, Any]]:
    return {name: body for (_, name), body in run.kube.jobs.items()}


def upgrades(run: Run) -> list[tuple[str, ...]]:
    return [a.instance_ids for a in run.actions if isinstance(a, act.UpgradeInstances)]


async def test_a_batch_is_sent_once_its_drain_jobs_succeeded() -> None:
    run = await draining_run()
    await run.converge(until=lambda r: reason(r) == "Draining")
    created = jobs(run)
    assert len(created) == 1 and not upgrades(run)
    ((name, body),) = created.items()
    record = run.status.rollout
    assert record is not None and record.batch is not None and record.batch.drain is not None
    assert record.batch.drain.jobs == [name] and name.startswith("web-drain-") and name.endswith("-1-0")
    env = {e["name"]: e["value"] for e in body["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env == {"SCALESET_NAME": "web", "INSTANCE_NAME": "web000000", "INSTANCE_ID": "0", "DISRUPTION": "Upgrade"}
    assert body["metadata"]["labels"]["team"] == "web" and body["spec"]["activeDeadlineSeconds"] == 600
    assert body["metadata"]["ownerReferences"][0]["kind"] == "ScaleSet"
    await run.run_for(60, tick=5)
    assert not upgrades(run), "not sent while its Job runs"
    run.clock.advance(30)
    run.kube.finish_job(name, "Complete")
    await run.converge(until=lambda r: bool(upgrades(r)))
    assert upgrades(run) == [("0",)]
    run.kube.jobs.clear()  # a TTL deleting finished Jobs does not run them again
    for _ in range(200):
        for job in list(jobs(run)):
            run.kube.finish_job(job, "Complete")
        result = await run.step()
        if run.converged(result):
            break
        assert result is not None
        run.clock.advance(result.requeue_after)
    assert run.status.updatedReplicas == 4
    assert len(run.kube.jobs) == 3, "one Job per instance, batches 2-4"
    result = run.status.lastRollouts[0]
    assert result.outcome == "Completed" and result.drainSeconds >= 90


async def test_a_failed_drain_job_blocks_the_batch_naming_the_job() -> None:
    run = await draining_run()
    await run.converge(until=lambda r: reason(r) == "Draining")
    (name,) = jobs(run)
    run.kube.finish_job(name, "Failed", reason="BackoffLimitExceeded")
    await run.converge(until=lambda r: reason(r, "Stalled") == "DrainFailed")
    stalled = run.condition("Stalled")
    assert stalled is not None and f"drain Job {name} (BackoffLimitExceeded) failed" in stalled[2]
    assert [e[1] for e in run.events].count("DrainFailed") == 1
    await run.run_for(120, tick=10)
    assert not upgrades(run) and [e[1] for e in run.events].count("DrainFailed") == 1, "one warning, no retries"
    del run.kube.jobs[("default", name)]  # a person deletes the failed Job: it runs again
    await run.step()
    assert name in jobs(run) and reason(run, "Stalled") != "DrainFailed"
    run.kube.finish_job(name, "Complete")
    await run.converge(until=lambda r: bool(upgrades(r)))
    assert upgrades(run) == [("0",)]


async def test_a_drain_job_that_does_not_finish_in_time_blocks_the_batch() -> None:
    run = await draining_run(drain_timeout="PT2M")
    await run.converge(until=lambda r: reason(r, "Stalled") == "DrainTimeout", tick=10)
    stalled = run.condition("Stalled")
    assert stalled is not None and stalled[2].endswith("did not finish within 120s")


async def test_cancelling_a_draining_rollout_sends_nothing() -> None:
    run = await draining_run()
    await run.converge(until=lambda r: reason(r) == "Draining")
    run.add_operation("cancel", action="CancelRollingUpgrade")
    await run.converge(until=lambda r: r.operation("cancel").phase == "Succeeded")
    assert not upgrades(run) and run.status.lastRollouts[0].outcome == "Cancelled"


async def test_terminate_notification_delays_surge_deletes_and_is_counted() -> None:
    profile = {"terminateNotificationProfile": {"enable": True, "notBeforeTimeout": "PT5M"}}
    run = new_run(
        make_spec(
            **{
                "sku.capacity": 2,
                "upgradePolicy.rollingUpgradePolicy": {"maxSurge": True},
                "virtualMachineProfile.scheduledEventsProfile": profile,
            }
        )
    )
    await run.converge()
    run.set_spec(changed(run.spec, **D4))
    await run.converge(until=lambda r: reason(r) == "TerminateNotification")
    message = run.condition("RolloutProgressing")[2]  # type: ignore[index]
    assert "Terminate Scheduled Event posted; deleted not before" in message
    observed = run.cloud.snapshot(run.key)
    assert observed is not None
    going = [i for i in observed.instances if i.provisioning_state == "Deleting"]
    assert going and all(i.power_state == "running" for i in going), "the VM keeps running while notified"
    await run.converge()
    result = run.status.lastRollouts[0]
    assert result.outcome == "Completed" and result.drainSeconds == 600, "5 minutes per batch, two batches"


async def test_an_operation_drains_its_instances_first() -> None:
    hook = {"jobTemplate": TEMPLATE, "timeout": "PT10M"}
    run = new_run(make_spec(**{"sku.capacity": 3, "rolloutPolicy.drain": hook}))
    await run.converge()
    run.add_operation("restart", action="Restart", instanceIds=["1", "2"])
    await run.step()
    op = run.operation("restart")
    assert (op.phase, op.acted, op.affectedInstances) == ("Running", False, ["1", "2"])
    assert op.drain is not None and len(op.drain.jobs) == 2 and set(jobs(run)) == set(op.drain.jobs)
    env = jobs(run)[op.drain.jobs[1]]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {e["name"]: e["value"] for e in env}["DISRUPTION"] == "Restart"
    await run.run_for(30, tick=5)
    assert not any(isinstance(a, act.RestartInstances) for a in run.actions), "not sent before the Jobs succeeded"
    for name in op.drain.jobs:
        run.kube.finish_job(name, "Complete")
    await run.converge(until=lambda r: r.operation("restart").phase == "Succeeded")
    assert [a.instance_ids for a in run.actions if isinstance(a, act.RestartInstances)] == [("1", "2")]


async def test_an_operation_whose_drain_job_fails_is_not_sent() -> None:
    run = new_run(make_spec(**{"sku.capacity": 2, "rolloutPolicy.drain": {"jobTemplate": TEMPLATE}}))
    await run.converge()
    run.add_operation("delete", action="DeleteInstances", instanceIds=["0"])
    await run.step()
    (name,) = jobs(run)
    run.kube.finish_job(name, "Failed", reason="DeadlineExceeded")
    await run.converge(until=lambda r: r.operation("delete").phase == "Failed")
    op = run.operation("delete")
    assert op.message == f"drain Job {name} (DeadlineExceeded) failed: DeleteInstances was not sent"
    assert run.status.replicas == 2 and not any(isinstance(a, act.DeleteInstances) for a in run.actions)


def test_drain_job_names_are_valid_for_flexible_vm_names() -> None:
    assert job_name("web", "s", "2", "7").startswith("web-drain-") and job_name("web", "s", "2", "7").endswith("-2-7")
    flexible = job_name("Web_Tier", "s", "op", "web_tier_1a2b3c4d")
    assert flexible.endswith("-op-web-tier-1a2b3c4d") and flexible.startswith("web-tier-drain-")
    long = job_name("a" * 64, "s", "12", "b" * 70 + "_1a2b3c4d")
    assert len(long) <= 63 and long == job_name("a" * 64, "s", "12", "b" * 70 + "_1a2b3c4d")
