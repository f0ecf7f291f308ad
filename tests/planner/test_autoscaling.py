"""Autoscale and capacity ownership on the real reconcile loop (fake backend, simulated clock): the
simulator's autoscale service changes the capacity by the rules, the operator keeps the setting,
never writes capacity it does not own, explains each change, and hands capacity back safely."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from scaleset_operator.api.autoscale import AutoscaleSettings
from scaleset_operator.cloud.autoscale import AutoscaleKey, DesiredAutoscale
from scaleset_operator.cloud.desired import DesiredModel, ScaleSetKey
from scaleset_operator.planner import actions as act
from scaleset_operator.planner.timefmt import parse
from tests.harness import Run, new_run
from tests.planner.autoscale_specs import autoscale, owned
from tests.planner.specs import EXTENSION, changed, make_spec


def capacity(run: Run) -> int:
    observed = run.cloud.snapshot(run.key)
    assert observed is not None
    return observed.capacity


def events(run: Run, *reasons: str) -> list[str]:
    return [message for _, reason, message in run.events if reason in reasons]


def writes(run: Run, kind: type) -> list[Any]:
    return [a for a in run.actions if isinstance(a, kind)]


async def started(**overrides: Any) -> Run:
    run = new_run(make_spec(**{"sku.capacity": 2, **owned(maximum=5), **overrides}))
    await run.converge()
    return run


async def minutes(run: Run, count: int, tick: float = 30) -> None:
    await run.run_for(count * 60, tick)


async def test_load_scales_out_by_rule_respecting_the_cooldown_then_in_to_the_minimum_keeping_protection() -> None:
    run = await started()
    assert writes(run, act.ApplyAutoscale) and run.conditions()["Autoscaling"] == ("True", "Active")
    run.cloud.set_load(run.key, 80)
    await minutes(run, 16)
    assert capacity(run) == 5
    out = events(run, "AutoscaledOut")
    assert out == [f"{n} -> {n + 1}: rule 0 'Percentage CPU' Average 80 > 70, profile default" for n in (2, 3, 4)]
    actions = list(run.cloud.autoscale.targeting(run.key).actions)  # type: ignore[union-attr]
    gaps = [(b.time - a.time).total_seconds() for a, b in pairwise(actions)]
    assert gaps and min(gaps) >= 300, f"the PT5M cooldown was not respected: {gaps}"
    last = run.status.autoscale.lastScaleAction  # type: ignore[union-attr]
    assert last is not None and (last.newCapacity, last.rule, last.metricValue, last.threshold) == (5, 0, 80.0, 70.0)

    run.cloud.set_protection(run.key, "4", scale_in=True)
    run.cloud.set_load(run.key, 10)
    await minutes(run, 20)
    observed = await run.observe()
    assert observed.capacity == 2 and "4" in observed.ids, "scale-in removed the protected instance"
    assert events(run, "AutoscaledIn")[-1] == "3 -> 2: rule 1 'Percentage CPU' Average 10 < 30, profile default"
    assert writes(run, act.ApplyModel) == [act.ApplyModel(2, "apply")], "the operator wrote capacity"


async def test_an_idle_autoscaled_scale_set_writes_nothing() -> None:
    run = await started()
    run.cloud.set_load(run.key, 10)  # at the minimum: every run holds
    await minutes(run, 12)
    patches, calls = run.kube.patches, run.cloud.calls.marker()
    await minutes(run, 30, tick=60)
    assert run.kube.patches == patches
    assert run.cloud.calls.writes_since(calls, run.key) == 0


async def test_a_model_push_carries_the_clouds_capacity_and_only_if_unchanged() -> None:
    run = await started()
    run.cloud.set_load(run.key, 80)
    await minutes(run, 3)  # the first samples are at 80%: one scale-out at 00:01:30, then the cooldown
    assert capacity(run) == 3
    run.set_spec(changed(run.spec, **{"virtualMachineProfile.extensionProfile": {"extensions": [EXTENSION]}}))
    await run.converge()
    push = writes(run, act.ApplyModel)[-1]
    assert push.capacity >= 3 and push.etag is not None
    assert run.spec.sku.capacity == 2 and capacity(run) >= 3


class ChangedMeanwhile:
    """A backend under which the cloud's capacity changes between the observation and the push."""

    def __init__(self, run: Run, to: int) -> None:
        self.run, self.to, self.inner = run, to, run.backend.apply

    async def __call__(self, key: ScaleSetKey, model: DesiredModel, capacity: int, *, etag: str | None = None) -> None:
        if self.to is not None:
            self.run.cloud.set_capacity(key, self.to)
            self.to = None  # type: ignore[assignment]
        await self.inner(key, model, capacity, etag=etag)


async def test_an_external_owner_keeps_its_capacity_through_a_model_push() -> None:
    run = new_run(make_spec(**{"sku.capacity": 2, "capacityOwner": "External"}))
    await run.converge()
    run.cloud.set_capacity(run.key, 5)
    await run.converge()
    explained = "no enabled autoscale setting this operator can read explains it (capacityOwner External)"
    assert events(run, "CapacityChanged") == [f"2 -> 5: {explained}"]
    assert run.status.capacity is not None and run.status.capacity.observed == 5
    run.set_spec(changed(run.spec, **{"sku.capacity": 9}))  # an HPA writing the scale subresource: not the owner
    await run.converge()
    assert capacity(run) == 5
    run.backend.apply = ChangedMeanwhile(run, 4)  # type: ignore[method-assign]
    run.set_spec(changed(run.spec, **{"virtualMachineProfile.extensionProfile": {"extensions": [EXTENSION]}}))
    await run.converge()
    pushes = writes(run, act.ApplyModel)
    assert pushes[-1].capacity == 4, "the push retried with the capacity changed meanwhile"
    assert capacity(run) == 4 and all(i.latest_model_applied for i in (await run.observe()).instances)
    assert [a.capacity for a in pushes] == [2, 4], "a stale capacity was written"


async def test_back_to_spec_keeps_the_observed_capacity_until_the_spec_says_otherwise() -> None:
    run = await started()
    run.cloud.set_load(run.key, 80)
    await minutes(run, 3)  # the first samples are at 80%: one scale-out at 00:01:30, then the cooldown
    assert capacity(run) == 3
    run.set_spec(changed(run.spec, **{"capacityOwner": "Spec", "autoscale.enabled": False}))
    await run.converge(until=lambda r: r.conditions().get("Stalled") == ("True", "CapacityHandoff"))
    await minutes(run, 3)
    assert capacity(run) == 3, "jumped to the stale spec.sku.capacity"
    run.set_spec(changed(run.spec, **{"sku.capacity": 4}))
    await run.converge()
    assert capacity(run) == 4 and run.status.capacity is None
    assert run.conditions()["Autoscaling"] == ("False", "Disabled")


async def test_another_setting_is_reported_and_never_fought() -> None:
    run = await started(autoscale=autoscale(maximum=5))
    other = DesiredAutoscale(
        AutoscaleKey(run.key.subscription_id, run.key.resource_group, "made-in-the-portal"),
        "westeurope",
        run.key,
        AutoscaleSettings.model_validate(autoscale(minimum=3, maximum=3)),
    )
    run.cloud.delete_autoscale(AutoscaleKey(run.key.subscription_id, run.key.resource_group, "web-autoscale"))
    run.cloud.apply_autoscale(other)
    marker = len(run.actions)
    await minutes(run, 5)
    assert run.actions[marker:] == [], "the operator wrote while another setting targets the scale set"
    assert run.conditions()["Stalled"] == ("True", "AutoscaleConflict")
    assert run.conditions()["Autoscaling"] == ("False", "Conflict")
    assert len(events(run, "AutoscaleConflict")) == 1
    assert capacity(run) == 3, "the other setting decides"


async def test_removing_autoscale_deletes_the_setting_and_keeps_the_capacity() -> None:
    run = await started()
    run.cloud.set_load(run.key, 80)
    await minutes(run, 3)
    run.set_spec(changed(run.spec, **{"capacityOwner": "Spec", "autoscale": None, "sku.capacity": 3}))
    await run.converge()
    assert run.cloud.autoscale.targeting(run.key) is None
    assert writes(run, act.DeleteAutoscale) and capacity(run) == 3
    assert run.status.autoscale is None and "Autoscaling" not in run.conditions()


async def test_a_fixed_date_profile_takes_over_on_the_simulated_clock() -> None:
    sale = {
        "name": "sale",
        "capacity": {"minimum": 4, "maximum": 6, "default": 4},
        "fixedDate": {"timeZone": "UTC", "start": "2024-01-01T01:00:00", "end": "2024-01-01T02:00:00"},
    }
    spec = autoscale(maximum=5)
    spec["profiles"].append(sale)
    run = await started(autoscale=spec)  # the simulated clock starts at 2024-01-01T00:00:00Z
    assert run.status.autoscale is not None and run.status.autoscale.nextProfileChange == "2024-01-01T01:00:00Z"
    await minutes(run, 62)
    assert capacity(run) == 4
    assert events(run, "AutoscaledOut") == ["2 -> 4: below the minimum, profile sale"]
    assert run.status.autoscale.profile == "sale"  # type: ignore[union-attr]


def _kinds(actions: Sequence[act.Action]) -> list[str]:
    return [type(a).__name__ for a in actions]


async def test_a_crash_after_the_setting_is_written_does_not_write_it_again() -> None:
    run = new_run(make_spec(**{"sku.capacity": 2, **owned()}))
    await run.converge(until=lambda r: r.status.replicas == 2)
    await run.step(crash="after_act")  # the pass that writes the setting dies before reporting it
    await run.converge()
    assert _kinds(run.actions).count("ApplyAutoscale") == 1


async def test_at_a_speed_times_show_on_the_wall_clock_and_cooldowns_count_in_simulated_time() -> None:
    run = new_run(make_spec(**{"sku.capacity": 2, **owned(maximum=5)}), speed=50)
    await run.converge()
    run.cloud.set_load(run.key, 80)
    await minutes(run, 3)
    stored = run.status
    setting = stored.autoscale
    assert setting is not None and setting.lastScaleAction is not None and setting.nextActionTime is not None
    shown, next_shown = parse(setting.lastScaleAction.time), parse(setting.nextActionTime)
    assert (next_shown - shown).total_seconds() == 300 / 50, "a PT5M cooldown is 6 wall seconds at speed 50"
    simulated = stored.simulatedClock.times  # type: ignore[union-attr]
    seen = parse(simulated["autoscale.lastScaleAction.time"])
    assert (parse(simulated["autoscale.nextActionTime"]) - seen).total_seconds() == 300
    assert seen > shown, "the simulated time runs ahead of the wall clock"
    patches = run.kube.patches
    await minutes(run, 2)
    assert run.kube.patches == patches, "an unchanged setting rewrote its times"
