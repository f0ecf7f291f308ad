"""The autoscale concern of a pass: keep the cloud's autoscale setting equal to ``spec.autoscale``
(held during rollouts), report what it did, and add who owns capacity to the decision.

- **Apply** (``ApplyAutoscale``) when the setting's ``scaleset.dev/autoscale-hash`` tag differs from
  the setting to apply, once the scale set exists; the write goes first among the pass's calls, so
  a rollout's raised minimum (``autoscale_guard``) is in place before the batch's call.
- **Delete** (``DeleteAutoscale``) the setting the operator made (it carries the tag) when
  ``spec.autoscale`` goes; the capacity stays where autoscale left it.
- **Conflict**: another setting targets the scale set (Azure allows one per resource). It is
  reported (``Stalled``, one Warning Event) and never written: the operator does not fight it.
- **External**: a setting made elsewhere, shown for what it is (``capacityOwner: External``).
- Each capacity change the operator did not make is an Event with the rule and metric value behind
  it (``autoscale_explain``); ``status.autoscale`` shows the profile in force, the limits as applied,
  the last scale action, and when the next action and profile change may come (the pass requeues
  then).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from scaleset_operator.api.autoscale import AutoscaleSettings
from scaleset_operator.api.status import AutoscaleStatus, RolloutRecord, ScaleActionStatus
from scaleset_operator.cloud.autoscale import DesiredAutoscale, ObservedAutoscale, desired_autoscale
from scaleset_operator.cloud.desired import scale_set_key
from scaleset_operator.planner import autoscale_explain, autoscale_guard, requeue
from scaleset_operator.planner.actions import ApplyAutoscale, DeleteAutoscale
from scaleset_operator.planner.autoscale_observation import evaluated_settings
from scaleset_operator.planner.decision import AutoscaleStep, Decision, Effects, Reason
from scaleset_operator.planner.events import PlannedEvent, normal, warning
from scaleset_operator.planner.facts import Facts
from scaleset_operator.planner.timefmt import fmt, parse

Outcome = tuple[AutoscaleStep, Effects]


def attach(facts: Facts, decision: Decision) -> Decision:
    """``decision`` with capacity ownership and the autoscale setting's part added: its call first,
    its Events, what it waits for (``progress``) and what needs a person (``blockers``). On a scale set
    this ScaleSet does not manage (managementPolicy Observe, or not adopted) the setting is reported
    and never written."""
    record = decision.rollout.record if decision.rollout is not None else facts.status.rollout
    owner = facts.capacity_owner
    action = _observed_change(facts)
    autoscale, effects = step(facts, record, action)
    if not _manages(decision):
        autoscale, effects = replace(autoscale, activity=None, sends=False), Effects()
    events = effects.events if action is None else (autoscale_explain.event(action, owner.owner), *effects.events)
    blockers = decision.blockers + tuple(b for b in (owner.handoff, autoscale.blocker) if b is not None)
    progress = decision.progress + ((autoscale.activity,) if autoscale.activity is not None else ())
    wait = decision.requeue_after
    if effects.requeue_after is not None:
        wait = min(wait, effects.requeue_after)
    return replace(
        decision,
        actions=effects.actions + decision.actions,
        events=decision.events + events,
        progress=progress,
        blockers=blockers,
        requeue_after=wait,
        capacity=owner,
        autoscale=autoscale,
    )


def _manages(decision: Decision) -> bool:
    management = decision.management
    return management is None or not (management.observing or management.held)


def _observed_change(facts: Facts) -> ScaleActionStatus | None:
    change = facts.capacity_owner.change
    if change is None:
        return None
    observation = facts.autoscale
    setting = observation.setting if observation is not None else None
    settings = evaluated_settings(facts.spec, setting)
    metrics = observation.metrics if observation is not None else None
    return autoscale_explain.explain(change, settings, metrics, facts.now, _target(facts))


def step(facts: Facts, record: RolloutRecord | None, action: ScaleActionStatus | None) -> Outcome:
    """The setting's step; ``record``: the rollout's intent record after this pass."""
    observation = facts.autoscale
    if observation is None:
        return AutoscaleStep(None), Effects()
    setting = observation.setting
    desired = desired_autoscale(facts.spec, facts.name)
    if desired is None:
        return _without_spec(facts, setting, action)
    if setting is not None and not setting.key.matches(desired.key):
        return _conflict(facts, setting, action)
    return _keep(facts, desired, setting, record, action)


def _target(facts: Facts) -> str:
    return scale_set_key(facts.spec, facts.name).resource_id


def _keep(
    facts: Facts,
    desired: DesiredAutoscale,
    setting: ObservedAutoscale | None,
    record: RolloutRecord | None,
    action: ScaleActionStatus | None,
) -> Outcome:
    """Apply ``spec.autoscale`` (held while a rollout's batch is in flight) when the cloud's differs."""
    guarded = facts.spec.capacityOwner == "Autoscale" and desired.settings.enabled
    floor = autoscale_guard.floor(facts, record) if guarded else None
    settings = autoscale_guard.held(desired.settings, floor) if floor is not None else desired.settings
    held = floor if settings != desired.settings else None
    applied = replace(desired, settings=settings)
    if setting is not None and setting.settings_hash == applied.settings_hash():
        status = _status(facts, desired.key.name, "Applied", settings, held, action)
        return AutoscaleStep(status), _requeue(facts, status)
    status = _status(facts, desired.key.name, "Applying", settings, held, action)
    event = _apply_event(facts, desired, setting, held)
    activity = Reason("ApplyingAutoscale", event.message)
    return AutoscaleStep(status, activity=activity, sends=True), Effects(
        (ApplyAutoscale(applied),), (event,), requeue.BUSY_RESYNC_SECONDS
    )


def _apply_event(
    facts: Facts, desired: DesiredAutoscale, setting: ObservedAutoscale | None, held: int | None
) -> PlannedEvent:
    stored = facts.status.autoscale
    before = stored.heldMinimum if stored is not None else None
    name = desired.key.name
    if held is not None and held != before:
        return normal(
            "AutoscaleHeld",
            f"rollout batch in flight: autoscale setting {name} held at a minimum of {held} (no scale-in under "
            "the rollout; scale-out goes on)",
        )
    if held is None and before is not None:
        message = f"no rollout batch in flight: autoscale setting {name} back to spec.autoscale"
        return normal("AutoscaleRestored", message)
    verb = "creating" if setting is None else "updating"
    state = "enabled" if desired.settings.enabled else "disabled"
    profiles = len(desired.settings.profiles)
    plural = "profile" if profiles == 1 else "profiles"
    return normal("ApplyingAutoscale", f"{verb} autoscale setting {name} ({state}, {profiles} {plural})")


def _without_spec(facts: Facts, setting: ObservedAutoscale | None, action: ScaleActionStatus | None) -> Outcome:
    """No ``spec.autoscale``: delete the setting the operator made; show one made elsewhere."""
    if setting is None:
        return AutoscaleStep(None), Effects()
    if setting.settings_hash is None:
        status = _status(facts, setting.key.name, "External", setting.settings, None, action, setting.enabled)
        return AutoscaleStep(status), _requeue(facts, status)
    status = _status(facts, setting.key.name, "Deleting", None, None, action, setting.enabled)
    message = (
        f"spec.autoscale was removed: deleting autoscale setting {setting.key.name}; the capacity stays at "
        f"{facts.scale_set.capacity}"
    )
    event = normal("DeletingAutoscale", message)
    effects = Effects((DeleteAutoscale(setting.key),), (event,), requeue.BUSY_RESYNC_SECONDS)
    return AutoscaleStep(status, activity=Reason("DeletingAutoscale", message), sends=True), effects


def _conflict(facts: Facts, setting: ObservedAutoscale, action: ScaleActionStatus | None) -> Outcome:
    """Another setting targets the scale set: reported, never written (no fight)."""
    name = setting.key.name
    message = (
        f"autoscale setting {name}, made elsewhere, already targets scale set {facts.scale_set.name} (Azure allows "
        f"one per resource); it is left alone and decides the capacity. Delete it, adopt it with "
        f"spec.autoscale.name: {name}, or remove spec.autoscale and set capacityOwner: External"
    )
    status = _status(facts, name, "Conflict", setting.settings, None, action, setting.enabled)
    stored = facts.status.autoscale
    events = () if stored is not None and stored.state == "Conflict" else (warning("AutoscaleConflict", message),)
    return AutoscaleStep(status, blocker=Reason("AutoscaleConflict", message)), Effects(events=events)


def _status(
    facts: Facts,
    name: str,
    state: str,
    settings: AutoscaleSettings | None,
    held: int | None,
    action: ScaleActionStatus | None,
    enabled: bool | None = None,
) -> AutoscaleStatus:
    stored = facts.status.autoscale
    last = action if action is not None else (stored.lastScaleAction if stored is not None else None)
    fields: dict[str, object] = {}
    if settings is not None:
        since = parse(last.time) if last is not None and last.reason != "Unexplained" else None
        outlook = autoscale_explain.outlook(settings, facts.scale_set.capacity, facts.now, since, _target(facts))
        profile = outlook.profile
        fields = {
            "profile": profile.name if profile is not None else None,
            "profileKind": outlook.profile_kind,
            "minimum": profile.capacity.minimum if profile is not None else None,
            "maximum": profile.capacity.maximum if profile is not None else None,
            "nextActionTime": _time(outlook.next_action_time),
            "nextProfileChange": _time(outlook.next_profile_change),
        }
    return AutoscaleStatus.model_validate(
        {
            "name": name,
            "state": state,
            "enabled": settings.enabled if settings is not None else bool(enabled),
            "heldMinimum": held,
            "lastScaleAction": last,
            **fields,
        }
    )


def _time(moment: datetime | None) -> str | None:
    return fmt(moment) if moment is not None else None


def _requeue(facts: Facts, status: AutoscaleStatus) -> Effects:
    """Look again when a cooldown ends or a profile changes (status says so then)."""
    times = [parse(t) for t in (status.nextActionTime, status.nextProfileChange) if t is not None]
    future = [(t - facts.now).total_seconds() for t in times if t > facts.now]
    if not future:
        return Effects()
    return Effects(requeue_after=max(requeue.BUSY_RESYNC_SECONDS, min(future)))
