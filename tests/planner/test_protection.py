"""spec.instanceProtection as declared state (``planner/protection.py``): what is set, what is
removed (only protection the operator set), what is left alone, what names no instance."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from scaleset_operator.api.status import InstanceProtectionStatus, ScaleSetStatus
from scaleset_operator.cloud.observed import ObservedInstance
from scaleset_operator.cloud.protection import ProtectionPolicy
from scaleset_operator.planner import actions as act
from scaleset_operator.planner import protection
from scaleset_operator.planner.decide import decide
from scaleset_operator.planner.observation import Observed
from tests.harness import new_run
from tests.planner.builders import facts, inputs, instance, scale_set
from tests.planner.specs import changed, make_spec


def spec(*entries: dict[str, Any], **extra: Any) -> Any:
    return make_spec(instanceProtection=list(entries), **extra)


def observed(*instances: ObservedInstance) -> Any:
    return replace(scale_set(len(instances)), instances=instances)


def guarded(iid: int, actions: bool = False) -> ObservedInstance:
    return instance(iid, protect_from_scale_in=True, protect_from_scale_set_actions=actions)


def record(*ids: str) -> ScaleSetStatus:
    return ScaleSetStatus(
        instanceProtection=[
            InstanceProtectionStatus(instance=i, instanceId=i, protectFromScaleIn=True, state="Applied") for i in ids
        ]
    )


def sent(effects: Any) -> tuple[ProtectionPolicy, ...]:
    calls = [a for a in effects.actions if isinstance(a, act.SetProtection)]
    return calls[0].policies if calls else ()


def test_entries_by_id_or_computer_name_are_set_in_one_action() -> None:
    given = facts(
        observed(instance(0), instance(1), instance(2)),
        spec=spec({"instance": "0"}, {"instance": "WEB000002", "protectFromScaleSetActions": True}),
    )
    step, effects = protection.step(given)
    assert sent(effects) == (ProtectionPolicy("0", True, False), ProtectionPolicy("2", True, True))
    assert [(e.instance, e.instanceId, e.state) for e in step.entries] == [
        ("0", "0", "Applying"),
        ("WEB000002", "2", "Applying"),
    ]
    assert step.activity is not None and step.activity.reason == "ApplyingProtection"


def test_applied_protection_sends_nothing() -> None:
    step, effects = protection.step(facts(observed(guarded(0)), spec=spec({"instance": "0"})))
    assert not effects.actions and step.activity is None
    assert [e.state for e in step.entries] == ["Applied"]


def test_a_removed_entry_removes_only_the_protection_the_operator_set() -> None:
    """0 was set by the operator (in its record) and is no longer declared: unprotected. 1 was
    protected by someone else (the portal): left alone."""
    given = facts(observed(guarded(0), guarded(1)), spec=spec(), status=record("0"))
    step, effects = protection.step(given)
    assert sent(effects) == (ProtectionPolicy("0", False, False),)
    assert [(e.instance, e.state) for e in step.entries] == [("0", "Removing")]
    done = facts(observed(instance(0), guarded(1)), spec=spec(), status=record("0"))
    step, effects = protection.step(done)
    assert not effects.actions and step.entries == ()


def test_a_declared_entry_takes_over_protection_set_by_others() -> None:
    given = facts(observed(guarded(1, actions=True)), spec=spec({"instance": "1"}))
    step, effects = protection.step(given)
    assert sent(effects) == (ProtectionPolicy("1", True, False),)
    assert [(e.instance, e.state) for e in step.entries] == [("1", "Applying")]


def test_an_entry_naming_no_instance_is_reported_once_not_retried() -> None:
    given = facts(observed(instance(0)), spec=spec({"instance": "7"}, **{"sku.capacity": 1}))
    step, effects = protection.step(given)
    assert not effects.actions
    assert step.not_found is not None and step.not_found.reason == "InstanceNotFound"
    assert "names no instance of the scale set: 7 (it has: 0)" in step.not_found.message
    assert [e.reason for e in effects.events] == ["ProtectedInstanceNotFound"]
    again = replace(given, status=ScaleSetStatus(instanceProtection=list(step.entries)))
    _, effects = protection.step(again)
    assert not effects.events and not effects.actions and effects.requeue_after is None
    scaling_out = facts(observed(instance(0)), spec=spec({"instance": "web000001"}, **{"sku.capacity": 2}))
    _, effects = protection.step(scaling_out)
    assert not effects.events, "the instance may be on its way: no warning while scaling out"


def test_a_busy_instance_is_waited_for() -> None:
    step, effects = protection.step(
        facts(observed(instance(0, provisioning_state="Updating")), spec=spec({"instance": "0"}))
    )
    assert not effects.actions and [e.state for e in step.entries] == ["Applying"]
    assert effects.requeue_after is not None


def test_protection_goes_first_and_alone_before_a_scale_in() -> None:
    """The scale-in is decided in a later pass, once the instances report their protection."""
    shrink = spec({"instance": "4"}, **{"sku.capacity": 2})
    decision = decide(inputs(Observed(scale_set(5)), spec=shrink))
    assert decision.actions == (act.SetProtection((ProtectionPolicy("4", True, False),)),)
    assert decision.protection is not None and decision.progress[0].reason == "ApplyingProtection"
    protected = replace(scale_set(5), instances=(*scale_set(4).instances, guarded(4)))
    decision = decide(inputs(Observed(protected), spec=shrink))
    assert [type(a).__name__ for a in decision.actions] == ["ApplyModel"]


async def test_a_scale_in_below_the_protected_instances_settles_and_says_so() -> None:
    run = new_run(spec({"instance": "0"}, {"instance": "1"}, **{"sku.capacity": 3}))
    await run.converge()
    run.set_spec(changed(run.spec, **{"sku.capacity": 1}))
    await run.converge()
    assert [i.instanceId for i in run.status.instances] == ["0", "1"]
    ready = run.condition("Ready")
    assert ready is not None and ready[0] == "True"
    assert "1 instances above the capacity of 1 are kept: protected from scale-in" in ready[2]
    assert run.conditions()["Reconciling"] == ("False", "Idle")
