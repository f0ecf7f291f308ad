"""What ``scaleset-operator status`` (and ``make demo``) draws for one ScaleSet, with rich.

Everything shown is read from the object as the API server returns it: the counts, the per-instance
view, the rollout's progress and its batch in flight (``status.rollout``, the operator's intent
record), and the conditions. Nothing is recomputed here; the blocker is the condition that says why
the ScaleSet is not converging (``Stalled``, a held rollout, an unobservable backend, or settled
instances that are not ready). The layout:

- a summary line (desired, current, up-to-date, ready, image) under a title naming the ScaleSet;
- the rollout: kind, Azure's running status, a progress bar over its instances, the batch in flight;
- the instances as a grid, one row per update domain and one column per zone, each instance with its
  state, its model (up to date or not) and image version;
- the conditions, and the blocker if there is one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

Obj = Mapping[str, Any]

HEALTH_STYLES = {"Healthy": "green", "Unhealthy": "bold red", "Initializing": "yellow", "Unknown": "yellow"}
LEGEND = "✓ latest model  ~ older model  ▶ batch in flight  ⚠ needs a reimage"


def _conditions(status: Obj) -> dict[str, Obj]:
    return {c["type"]: c for c in status.get("conditions") or []}


def _summary(obj: Obj) -> Text:
    status, spec = obj.get("status") or {}, obj.get("spec") or {}
    text = Text()
    for label, value in (
        ("desired", (spec.get("sku") or {}).get("capacity", "?")),
        ("current", status.get("replicas", 0)),
        ("up-to-date", status.get("updatedReplicas", 0)),
        ("ready", status.get("readyReplicas", 0)),
    ):
        text.append(f"{label} ", style="dim").append(f"{value}  ", style="bold")
    text.append("image ", style="dim").append(str(status.get("currentImage") or "-"))
    return text


def _progress(rolling: Obj) -> tuple[int, int, str]:
    p = rolling.get("progress") or {}
    done, failed = p.get("successfulInstanceCount", 0), p.get("failedInstanceCount", 0)
    moving, pending = p.get("inProgressInstanceCount", 0), p.get("pendingInstanceCount", 0)
    detail = (
        f"{done}/{done + failed + moving + pending} done · {moving} in progress · {failed} failed · {pending} pending"
    )
    return done, done + failed + moving + pending, detail


def _rollout(status: Obj, names: Mapping[str, str]) -> RenderableType:
    rolling = status.get("rollingUpgrade")
    if not rolling:
        return Text("rollout  none: every instance runs the model", style="dim")
    code = (rolling.get("runningStatus") or {}).get("code", "?")
    done, total, detail = _progress(rolling)
    style = {"Completed": "green", "Faulted": "bold red", "Cancelled": "yellow"}.get(code, "cyan")
    bar = Table.grid(padding=(0, 1))
    for no_wrap in (True, True, True, False):
        bar.add_column(no_wrap=no_wrap)
    bar.add_row(
        Text("rollout ", style="dim"),
        Text(f"{rolling.get('kind', '')} {code}", style=style),
        ProgressBar(total=max(total, 1), completed=done, width=20),
        Text(detail),
    )
    lines: list[RenderableType] = [bar]
    batch = (status.get("rollout") or {}).get("batch")
    if batch:
        members = ", ".join(names.get(i, i) for i in batch.get("instanceIds") or [])
        line = f"batch {batch.get('number')} ({batch.get('action')}): {members}"
        lines.append(Text("         ▶ " + line, style="bold"))
    if rolling.get("error"):
        error = rolling["error"]
        lines.append(Text(f"         {error.get('code')}: {error.get('message')}", style="red"))
    return Group(*lines)


def _cell(instance: Obj, in_batch: bool) -> Text:
    latest = instance.get("latestModelApplied")
    state = instance.get("provisioningState", "?")
    if state == "Succeeded":
        power = str(instance.get("powerState", ""))
        state = instance.get("healthState", "?") if power.endswith("running") or not power else power
    style = HEALTH_STYLES.get(state, "yellow")
    text = Text("▶ " if in_batch else "  ", style="bold")
    text.append(instance.get("name", instance.get("instanceId", "?")), style="bold" if in_batch else "")
    text.append(" ✓" if latest else " ~", style="green" if latest else "yellow")
    text.append(f" {state}", style=style)
    text.append(f" {instance.get('imageVersion', '')}", style="dim")
    if {"Reimage", "ReimageAll"} & set(instance.get("requiredFixes") or []):
        text.append(" ⚠", style="bold yellow")
    return text


def _grid(status: Obj) -> RenderableType:
    instances: Sequence[Obj] = status.get("instances") or []
    if not instances:
        return Text("instances  none yet", style="dim")
    batch = set(((status.get("rollout") or {}).get("batch") or {}).get("instanceIds") or [])
    zones = sorted({i.get("zone") or "" for i in instances})
    domains = sorted({int(i.get("updateDomain", 0)) for i in instances})
    table = Table(title="instances by update domain and zone", title_justify="left", caption=LEGEND)
    table.add_column("UD", justify="right", style="dim")
    for zone in zones:
        table.add_column(f"zone {zone}" if zone else "no zone")
    for domain in domains:
        cells = []
        for zone in zones:
            here = [i for i in instances if (i.get("zone") or "") == zone and int(i.get("updateDomain", 0)) == domain]
            cells.append(Text("\n").join(_cell(i, i.get("instanceId") in batch) for i in here))
        table.add_row(str(domain), *cells)
    return table


def _condition_line(conditions: Mapping[str, Obj]) -> Text:
    text = Text("conditions  ", style="dim")
    for kind in ("Ready", "Reconciling", "Stalled", "RolloutProgressing"):
        c = conditions.get(kind)
        if c is None:
            continue
        bad = (kind == "Ready" and c["status"] != "True") or (kind == "Stalled" and c["status"] == "True")
        text.append(f"{kind}={c['status']}", style="bold red" if bad else "green")
        text.append(f" {c.get('reason', '')}   ", style="dim")
    return text


def blocker(conditions: Mapping[str, Obj]) -> tuple[str, str] | None:
    """(label, "Reason: message") of the condition that stops the ScaleSet converging, if any."""
    stalled, held = conditions.get("Stalled"), conditions.get("RolloutProgressing")
    ready, reconciling = conditions.get("Ready"), conditions.get("Reconciling")
    if stalled and stalled["status"] == "True":
        return "stalled", f"{stalled['reason']}: {stalled.get('message', '')}"
    if held and held["status"] == "False" and held.get("reason") in ("Paused", "OutsideMaintenanceWindow"):
        return "held", f"{held['reason']}: {held.get('message', '')}"
    if ready and ready["status"] == "Unknown":
        return "not observable", f"{ready['reason']}: {ready.get('message', '')}"
    if ready and ready["status"] == "False" and not (reconciling and reconciling["status"] == "True"):
        return "not ready", f"{ready['reason']}: {ready.get('message', '')}"
    return None


def _footer(status: Obj) -> RenderableType:
    conditions = _conditions(status)
    found = blocker(conditions)
    reconciling = conditions.get("Reconciling")
    if found is not None:
        label, message = found
        last = Text(f"blocker  {label}: ", style="bold red").append(message, style="red")
    elif reconciling and reconciling["status"] == "True":
        last = Text("now  ", style="dim").append(f"{reconciling['reason']}: {reconciling.get('message', '')}")
    else:
        last = Text("blocker  none", style="green")
    return Group(_condition_line(conditions), last)


def render(obj: Obj, title: str | None = None) -> RenderableType:
    """The whole view of one ScaleSet object (``kubectl get -o json`` shape)."""
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    names = {i["instanceId"]: i.get("name", i["instanceId"]) for i in status.get("instances") or []}
    heading = f"ScaleSet {meta.get('namespace', '')}/{meta.get('name', '?')}" + (f": {title}" if title else "")
    generation, observed = meta.get("generation"), status.get("observedGeneration")
    subtitle = f"{(spec.get('upgradePolicy') or {}).get('mode', 'Manual')} · {(spec.get('sku') or {}).get('name', '')}"
    subtitle += f" · generation {generation}" + ("" if observed == generation else f" (status is for {observed})")
    if not status:
        body: RenderableType = Text("waiting for the operator to report status", style="yellow")
    else:
        body = Group(_summary(obj), Text(""), _rollout(status, names), Text(""), _grid(status), _footer(status))
    return Panel(body, title=heading, title_align="left", subtitle=subtitle, subtitle_align="right")
