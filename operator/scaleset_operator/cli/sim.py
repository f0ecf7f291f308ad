"""``scaleset-operator sim``: drive the simulator's admin endpoint of a running operator.

The operator serves the endpoint when it runs with the fake backend (default
``http://127.0.0.1:8089``; ``--url`` or ``SCALESET_SIM_URL`` to change it). Output is a table for
people, or the endpoint's JSON with ``--json``. Only the standard library is used, so the command
works from any environment that has the package.

Examples::

    scaleset-operator sim list
    scaleset-operator sim instances web
    scaleset-operator sim publish-image --publisher Canonical --offer 0001-com-ubuntu-server-jammy \\
        --sku 22_04-lts-gen2 --version 2024.03.01
    scaleset-operator sim set-health web 3 Unhealthy
    scaleset-operator sim fail upgrade --count 2 --status 409 --code OperationNotAllowed
    scaleset-operator sim throttle --seconds 60
    scaleset-operator sim load web 80                 # every instance at 80% CPU
    scaleset-operator sim load web 95 --instance 3    # one instance
    scaleset-operator sim metrics web
    scaleset-operator sim autoscale web               # what autoscale decided, and why
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any

from scaleset_operator.simulator.faults import IN_FLIGHT_KINDS, OPERATION_KINDS

DEFAULT_URL = "http://127.0.0.1:8089"
OPERATIONS: tuple[str, ...] = OPERATION_KINDS
"""The simulator's operations a fault can target (``simulator/faults.py``: one list for both)."""
IN_FLIGHT = tuple(kind for kind in OPERATION_KINDS if kind in IN_FLIGHT_KINDS)
"""Operations whose accepted work can fail later (``sim fail-in-flight``)."""
DURATIONS = (
    "create",
    "upgrade",
    "reimage",
    "restart",
    "delete",
    "start",
    "stop",
    "deallocate",
    "redeploy",
    "health_delay",
)


class SimError(Exception):
    """A failed admin call, with the message to show."""


# -- HTTP ---------------------------------------------------------------------------------------


class AdminClient:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, query: dict[str, str | None] | None = None
    ) -> Any:
        params = {k: v for k, v in (query or {}).items() if v is not None}
        url = self.url + path + (f"?{urllib.parse.urlencode(params)}" if params else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise SimError(_error_message(exc)) from None
        except urllib.error.URLError as exc:
            raise SimError(
                f"cannot reach the simulator admin endpoint at {self.url}: {exc.reason}. "
                "Is the operator running with --backend fake? (set --url or SCALESET_SIM_URL)"
            ) from None


def _error_message(exc: urllib.error.HTTPError) -> str:
    try:
        error = json.loads(exc.read())["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {exc.code} {exc.reason}"


# -- output -------------------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned table, like kubectl's."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    lines = ["   ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["   ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _emit(args: argparse.Namespace, data: Any, render: str) -> int:
    print(json.dumps(data, indent=2) if args.json else render)
    return 0


# -- commands -----------------------------------------------------------------------------------


def _scale_set_query(args: argparse.Namespace) -> dict[str, str | None]:
    return {"resourceGroup": args.resource_group, "subscriptionId": args.subscription}


def _path(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def cmd_list(client: AdminClient, args: argparse.Namespace) -> int:
    data = client.call("GET", "/scalesets")
    rows = [
        (
            s["name"],
            s["resourceGroup"],
            s["location"],
            s["capacity"],
            s["instances"],
            s["ready"],
            s["upToDate"],
            s["provisioningState"],
            s["image"],
        )
        for s in data["scaleSets"]
    ]
    headers = ("NAME", "RESOURCE-GROUP", "LOCATION", "CAPACITY", "INSTANCES", "READY", "UP-TO-DATE", "STATE")
    render = table((*headers, "IMAGE"), rows) if rows else "no scale sets"
    return _emit(args, data, render)


def cmd_remove(client: AdminClient, args: argparse.Namespace) -> int:
    client.call("DELETE", f"/scalesets/{_path(args.name)}", query=_scale_set_query(args))
    print(f"scale set {args.name} removed from the simulated cloud")
    return 0


def cmd_instances(client: AdminClient, args: argparse.Namespace) -> int:
    data = client.call("GET", f"/scalesets/{_path(args.name)}/instances", query=_scale_set_query(args))
    rows = []
    for i in data["instances"]:
        protect = ",".join(
            flag
            for flag, on in (("scale-in", i["protectFromScaleIn"]), ("actions", i["protectFromScaleSetActions"]))
            if on
        )
        health = i["healthState"] + (" (forced)" if i["healthOverride"] else "")
        disks = ",".join(f"{d['lun']}:{d['diskSizeGB']}G" for d in i["dataDisks"])
        rows.append(
            (
                i["instanceId"],
                i["name"],
                i["zone"],
                i["faultDomain"],
                i["updateDomain"],
                i["latestModelApplied"],
                i["imageVersion"],
                i["provisioningState"] + (f" ({i['operation']})" if i["provisioningState"] == "Updating" else ""),
                i["powerState"],
                health,
                disks or None,
                protect or None,
            )
        )
    headers = ("ID", "NAME", "ZONE", "FD", "UD", "LATEST", "IMAGE", "PROVISIONING", "POWER", "HEALTH")
    render = table((*headers, "DISKS", "PROTECT"), rows) if rows else f"{data['scaleSet']}: no instances"
    return _emit(args, data, render)


def cmd_images(client: AdminClient, args: argparse.Namespace) -> int:
    data = client.call("GET", "/images")
    rows: list[tuple[object, ...]] = [
        (f"{p['publisher']}:{p['offer']}:{p['sku']}", v, "all", None) for p in data["platform"] for v in p["versions"]
    ]
    rows += [
        (g["id"], v["version"], ",".join(v["regions"]) or None, v["excludeFromLatest"])
        for g in data["gallery"]
        for v in g["versions"]
    ]
    return _emit(args, data, table(("IMAGE", "VERSION", "REGIONS", "EXCLUDED-FROM-LATEST"), rows))


def cmd_publish_image(client: AdminClient, args: argparse.Namespace) -> int:
    body = {"publisher": args.publisher, "offer": args.offer, "sku": args.sku, "version": args.version}
    data = client.call("POST", "/images/platform", body)
    return _emit(args, data, f"published {args.publisher}:{args.offer}:{args.sku}:{args.version}")


def cmd_publish_gallery_image(client: AdminClient, args: argparse.Namespace) -> int:
    regions = [r.strip() for r in args.regions.split(",") if r.strip()]
    body = {"id": args.id, "version": args.version, "regions": regions, "excludeFromLatest": args.exclude_from_latest}
    data = client.call("POST", "/images/gallery", body)
    excluded = " (excluded from latest)" if args.exclude_from_latest else ""
    return _emit(args, data, f"published {args.id} {args.version} to {', '.join(regions) or 'no region'}{excluded}")


def cmd_replicate_gallery_image(client: AdminClient, args: argparse.Namespace) -> int:
    data = client.call(
        "POST", "/images/gallery/replicate", {"id": args.id, "version": args.version, "region": args.region}
    )
    return _emit(args, data, f"replicated {args.id} {args.version} to {args.region}")


def cmd_set_health(client: AdminClient, args: argparse.Namespace) -> int:
    path = f"/scalesets/{_path(args.name)}/instances/{_path(args.instance_id)}/health"
    if args.state == "clear":
        data = client.call("DELETE", path, query=_scale_set_query(args))
        return _emit(args, data, f"{args.name} instance {args.instance_id}: health override cleared")
    data = client.call("POST", path, {"state": args.state}, query=_scale_set_query(args))
    return _emit(args, data, f"{args.name} instance {args.instance_id}: health forced to {args.state}")


def cmd_bad_image(client: AdminClient, args: argparse.Namespace) -> int:
    if args.clear:
        data = client.call("DELETE", f"/images/bad/{_path(args.version)}")
        return _emit(args, data, f"image version {args.version} is no longer marked bad")
    data = client.call("POST", "/images/bad", {"version": args.version})
    return _emit(args, data, f"image version {args.version} marked bad: instances coming up on it report Unhealthy")


def cmd_fail(client: AdminClient, args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"operation": args.operation, "count": args.count, "status": args.status}
    for name, value in (("code", args.code), ("message", args.message), ("retryAfter", args.retry_after)):
        if value is not None:
            body[name] = value
    data = client.call("POST", "/faults/fail", body)
    return _emit(args, data, f"the next {args.count} {args.operation} call(s) will fail with HTTP {args.status}")


def cmd_fail_in_flight(client: AdminClient, args: argparse.Namespace) -> int:
    ids = [i.strip() for i in args.instances.split(",") if i.strip()] if args.instances else None
    body: dict[str, Any] = {"operation": args.operation, "instanceIds": ids, "count": args.count}
    for name, value in (("code", args.code), ("message", args.message)):
        if value is not None:
            body[name] = value
    data = client.call("POST", "/faults/fail-in-flight", body)
    which = f"instances {', '.join(ids)}" if ids else "all its instances"
    return _emit(args, data, f"the next {args.operation} will leave {which} Failed")


def cmd_throttle(client: AdminClient, args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"seconds": args.seconds}
    if args.retry_after is not None:
        body["retryAfter"] = args.retry_after
    data = client.call("POST", "/faults/throttle", body)
    return _emit(args, data, f"every backend call gets HTTP 429 for {args.seconds:g} simulated seconds")


def cmd_faults(client: AdminClient, args: argparse.Namespace) -> int:
    if args.clear:
        data = client.call("DELETE", "/faults")
        return _emit(args, data, "all faults cleared")
    data = client.call("GET", "/faults")
    lines = [
        f"fail next: {f['remaining']} x {f['operation']} -> HTTP {f['status']} {f['code']}" for f in data["failNext"]
    ]
    lines += [
        f"fail in flight: {f['remaining']} x {f['operation']} on {f['instanceIds'] or 'all instances'}"
        for f in data["failInFlight"]
    ]
    if data["throttle"]:
        lines.append(f"throttled for {data['throttle']['secondsLeft']:g} more seconds")
    if data["badImages"]:
        lines.append(f"bad image versions: {', '.join(data['badImages'])}")
    return _emit(args, data, "\n".join(lines) or "no faults")


def cmd_durations(client: AdminClient, args: argparse.Namespace) -> int:
    changes = {name: getattr(args, name) for name in DURATIONS if getattr(args, name) is not None}
    data = client.call("POST", "/durations", changes) if changes else client.call("GET", "/durations")
    return _emit(args, data, table(("OPERATION", "SECONDS"), [(k, f"{v:g}") for k, v in data.items()]))


def cmd_protect(client: AdminClient, args: argparse.Namespace) -> int:
    body = {}
    if args.scale_in is not None:
        body["protectFromScaleIn"] = args.scale_in
    if args.scale_set_actions is not None:
        body["protectFromScaleSetActions"] = args.scale_set_actions
    if not body:
        raise SimError("say what to change: --scale-in/--no-scale-in and/or --scale-set-actions/--no-scale-set-actions")
    path = f"/scalesets/{_path(args.name)}/instances/{_path(args.instance_id)}/protection"
    data = client.call("POST", path, body, query=_scale_set_query(args))
    return _emit(args, data, f"{args.name} instance {args.instance_id}: protection updated")


def cmd_maintenance(client: AdminClient, args: argparse.Namespace) -> int:
    path = f"/scalesets/{_path(args.name)}/instances/{_path(args.instance_id)}/maintenance"
    body = {"selfServiceSeconds": args.self_service_seconds}
    data = client.call("POST", path, body, query=_scale_set_query(args))
    return _emit(
        args, data, f"{args.name} instance {args.instance_id}: maintenance offered (PerformMaintenance allowed)"
    )


def cmd_load(client: AdminClient, args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"percent": args.percent}
    if args.instance is not None:
        body["instanceId"] = args.instance
    data = client.call("POST", f"/scalesets/{_path(args.name)}/load", body, query=_scale_set_query(args))
    which = f"instance {args.instance}" if args.instance is not None else "every instance"
    return _emit(args, data, f"{args.name}: {which} at {args.percent:g}% CPU")


def cmd_scale(client: AdminClient, args: argparse.Namespace) -> int:
    path = f"/scalesets/{_path(args.name)}/capacity"
    data = client.call("POST", path, {"capacity": args.capacity}, query=_scale_set_query(args))
    return _emit(args, data, f"{args.name}: capacity set to {args.capacity} in the cloud (not by the operator)")


def cmd_metrics(client: AdminClient, args: argparse.Namespace) -> int:
    data = client.call("GET", f"/scalesets/{_path(args.name)}/metrics", query=_scale_set_query(args))
    rows = [
        (
            i["instanceId"],
            f"{i['load']:g}" if i["load"] is not None else f"{data['load']:g} (scale set)",
            _metric(i, "Percentage CPU", 1),
            _metric(i, "Network In Total", 1e6),
            _metric(i, "Network Out Total", 1e6),
            _metric(i, "Available Memory Bytes", 1024**3),
        )
        for i in data["instances"]
    ]
    headers = ("ID", "LOAD%", "CPU%", "NET-IN-MB", "NET-OUT-MB", "MEM-AVAILABLE-GIB")
    title = f"{data['scaleSet']}: load {data['load']:g}%, last sampled {data['sampledAt'] or 'never'}"
    return _emit(args, data, title + "\n" + table(headers, rows))


def _metric(instance: dict[str, Any], name: str, scale: float) -> str | None:
    value = instance.get(name)
    return None if value is None else f"{value / scale:.1f}"


def cmd_autoscale(client: AdminClient, args: argparse.Namespace) -> int:
    data = client.call("GET", f"/scalesets/{_path(args.name)}/autoscale", query=_scale_set_query(args))
    setting = data["setting"]
    if setting is None:
        return _emit(args, data, f"{data['scaleSet']}: no autoscale setting targets it")
    state = "enabled" if setting["enabled"] else "disabled"
    lines = [f"{data['scaleSet']}: autoscale setting {setting['name']} ({state}, {setting['profiles']} profile(s))"]
    last = data["lastEvaluation"]
    if last is not None:
        lines.append(f"profile: {last['profile'] or '-'} ({last['profileKind'] or '-'})")
        lines.append(f"last run: {last['reason']}: {last['message']}")
        if last["nextActionTime"]:
            lines.append(f"next action allowed at: {last['nextActionTime']}")
    rows = [
        (a["time"], a["oldCapacity"], a["newCapacity"], a["reason"], a["profile"], a["metricName"], _value(a))
        for a in data["actions"]
    ]
    if rows:
        lines.append(table(("TIME", "FROM", "TO", "REASON", "PROFILE", "METRIC", "VALUE"), rows))
    return _emit(args, data, "\n".join(lines))


def _value(action: dict[str, Any]) -> str | None:
    return None if action["metricValue"] is None else f"{action['metricValue']:g}"


def cmd_calls(client: AdminClient, args: argparse.Namespace) -> int:
    if args.log:
        log = client.call("GET", "/calls/log")
        lines = [
            (c["seq"], c["at"], c["operation"], c["scaleSet"], ",".join(c["instanceIds"]) or None, c["error"])
            for c in log["writes"]
        ]
        return _emit(args, log, table(("SEQ", "AT", "OPERATION", "SCALE-SET", "INSTANCES", "ERROR"), lines))
    data = client.call("GET", "/calls")
    rows: list[tuple[object, ...]] = []
    for scope, counts in (("(total)", data["total"]), *data["byScaleSet"].items()):
        operations = ", ".join(f"{k}={v}" for k, v in counts["byOperation"].items())
        rows.append((scope, counts["reads"], counts["writes"], operations or None))
    return _emit(args, data, table(("SCALE-SET", "READS", "WRITES", "BY-OPERATION"), rows))


def cmd_clock(client: AdminClient, args: argparse.Namespace) -> int:
    if args.advance is not None:
        data = client.call("POST", "/clock/advance", {"seconds": args.advance})
    else:
        data = client.call("GET", "/clock")
    speed = f" (x{data['speed']:g})" if data.get("speed") else ""
    return _emit(args, data, f"{data['now']}  {data['clock']}{speed}")


# -- argument parsing ---------------------------------------------------------------------------


class _Commands:
    """Adds ``sim`` subcommands that share the ``--url``/``--json`` options."""

    def __init__(self, commands: Any, common: argparse.ArgumentParser) -> None:
        self.commands = commands
        self.common = common

    def add(self, name: str, func: Any, help_text: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = self.commands.add_parser(
            name, parents=[self.common], help=help_text, description=help_text
        )
        sub.set_defaults(func=run, handler=func)
        return sub

    def for_scale_set(self, name: str, func: Any, help_text: str) -> argparse.ArgumentParser:
        sub = self.add(name, func, help_text)
        sub.add_argument("name", help="scale set name")
        sub.add_argument("--resource-group", help="when several scale sets share the name")
        sub.add_argument("--subscription", help="when several scale sets share the name")
        return sub


def register(subparsers: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url", default=argparse.SUPPRESS, help=f"admin endpoint (default: $SCALESET_SIM_URL or {DEFAULT_URL})"
    )
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print the raw JSON")

    parser = subparsers.add_parser(
        "sim",
        help="control the simulator of an operator running with --backend fake",
        description="Control the simulator's admin endpoint: inspect scale sets, publish images, set the load, "
        "inject faults.",
    )
    parser.add_argument("--url", default=os.environ.get("SCALESET_SIM_URL", DEFAULT_URL), help="admin endpoint URL")
    parser.add_argument("--json", action="store_true", default=False, help="print the raw JSON")
    commands = _Commands(parser.add_subparsers(dest="sim_command", required=True, metavar="SIM_COMMAND"), common)
    _scale_set_commands(commands)
    _image_commands(commands)
    _fault_commands(commands)
    _load_commands(commands)
    sub = commands.add("calls", cmd_calls, "show backend call counts (reads/writes, per scale set)")
    sub.add_argument("--log", action="store_true", help="list every write call with its instance IDs")
    sub = commands.add("clock", cmd_clock, "show the simulated clock")
    sub.add_argument("--advance", type=float, metavar="SECONDS", help="jump simulated time forward")


def _scale_set_commands(commands: _Commands) -> None:
    commands.add("list", cmd_list, "list scale sets")
    commands.for_scale_set("instances", cmd_instances, "list the instances of a scale set")
    commands.for_scale_set("remove", cmd_remove, "delete a scale set at once, behind the operator's back")
    sub = commands.for_scale_set("set-health", cmd_set_health, "force the health an instance reports, or clear it")
    sub.add_argument("instance_id", metavar="INSTANCE_ID")
    sub.add_argument("state", choices=("Healthy", "Unhealthy", "clear"))
    sub = commands.for_scale_set(
        "scale", cmd_scale, "change a scale set's capacity in the cloud, as the portal or another autoscaler would"
    )
    sub.add_argument("capacity", type=int, metavar="CAPACITY")
    sub = commands.for_scale_set("protect", cmd_protect, "set an instance's protection flags")
    sub.add_argument("instance_id", metavar="ID")
    sub.add_argument("--scale-in", action=argparse.BooleanOptionalAction, help="protect from scale-in")
    sub.add_argument(
        "--scale-set-actions", action=argparse.BooleanOptionalAction, help="protect from scale set actions"
    )

    sub = commands.for_scale_set(
        "offer-maintenance", cmd_maintenance, "the platform offers planned maintenance to an instance"
    )
    sub.add_argument("instance_id", metavar="ID")
    sub.add_argument(
        "--self-service-seconds", type=float, default=86400.0, help="the window PerformMaintenance is allowed in"
    )


def _image_commands(commands: _Commands) -> None:
    commands.add("images", cmd_images, "list the image catalog")
    sub = commands.add("publish-image", cmd_publish_image, "publish a platform image version (available everywhere)")
    for flag in ("--publisher", "--offer", "--sku", "--version"):
        sub.add_argument(flag, required=True)
    sub = commands.add("publish-gallery-image", cmd_publish_gallery_image, "publish a gallery image version")
    sub.add_argument("--id", required=True, help="gallery image definition ID (.../galleries/G/images/I)")
    sub.add_argument("--version", required=True)
    sub.add_argument("--regions", default="", help="comma-separated regions it is replicated to")
    sub.add_argument("--exclude-from-latest", action="store_true")
    sub = commands.add(
        "replicate-gallery-image", cmd_replicate_gallery_image, "replicate a gallery image version to a region"
    )
    sub.add_argument("--id", required=True)
    sub.add_argument("--version", required=True)
    sub.add_argument("--region", required=True)
    sub = commands.add("bad-image", cmd_bad_image, "mark an image version bad (instances on it come up Unhealthy)")
    sub.add_argument("version", metavar="VERSION")
    sub.add_argument("--clear", action="store_true", help="unmark it")


def _fault_commands(commands: _Commands) -> None:
    sub = commands.add("fail", cmd_fail, "fail the next N calls of an operation")
    sub.add_argument("operation", choices=OPERATIONS)
    sub.add_argument("--count", type=int, default=1)
    sub.add_argument("--status", type=int, default=500, help="HTTP status (500, 409, 401, 429 ...)")
    sub.add_argument("--code", help="Azure error code (default from the status)")
    sub.add_argument("--message")
    sub.add_argument("--retry-after", type=float, help="seconds, for --status 429")
    sub = commands.add(
        "fail-in-flight", cmd_fail_in_flight, "accept the next call of an operation but leave instances Failed"
    )
    sub.add_argument("operation", choices=IN_FLIGHT)
    sub.add_argument("--instances", help="comma-separated instance IDs (default: the whole batch)")
    sub.add_argument("--count", type=int, default=1)
    sub.add_argument("--code", help="Azure error code the instances fail with (default InternalOperationError)")
    sub.add_argument("--message", help="the error message")
    sub = commands.add("throttle", cmd_throttle, "answer every backend call with HTTP 429 for a while")
    sub.add_argument("--seconds", type=float, required=True, help="simulated seconds")
    sub.add_argument("--retry-after", type=float, help="Retry-After to report (default: the time left)")
    sub = commands.add("faults", cmd_faults, "show the injected faults")
    sub.add_argument("--clear", action="store_true", help="clear every fault and bad image")
    sub = commands.add("durations", cmd_durations, "show or set operation durations (simulated seconds)")
    for name in DURATIONS:
        sub.add_argument(f"--{name.replace('_', '-')}", dest=name, type=float)


def _load_commands(commands: _Commands) -> None:
    sub = commands.for_scale_set("load", cmd_load, "set the load (percent CPU) that drives a scale set's metrics")
    sub.add_argument("percent", type=float, metavar="PERCENT", help="0-100")
    sub.add_argument("--instance", metavar="ID", help="only this instance (default: every instance)")
    commands.for_scale_set("metrics", cmd_metrics, "show the load and the last minute's metrics per instance")
    commands.for_scale_set("autoscale", cmd_autoscale, "show the autoscale setting's last decision and scale actions")


def run(args: argparse.Namespace) -> int:
    try:
        result: int = args.handler(AdminClient(args.url), args)
        return result
    except SimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
