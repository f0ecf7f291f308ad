"""Rolling upgrades the platform runs, as Azure reports and controls them:

- ``GET .../virtualMachineScaleSets/{name}/rollingUpgrades/latest``: the latest one (model rollout in
  Rolling mode, or OS upgrade), with its policy, running status and progress; 404 if none ever ran;
- ``POST .../osRollingUpgrade``: start an OS rolling upgrade (202; the operation ends with it);
- ``POST .../rollingUpgrades/cancel``: stop after the batch in flight (202; ends once stopped);
- ``GET .../osUpgradeHistory``: the OS upgrades, newest first.

The engine runs them (``simulator/platform_upgrades.py``); this module only speaks ARM.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from scaleset_operator.simulator.arm.errors import ArmError
from scaleset_operator.simulator.arm.operations import marks
from scaleset_operator.simulator.arm.request import Call, accepted, location_of, not_found, scale_set_key
from scaleset_operator.simulator.rolling import RollingUpgrade

JsonObject = dict[str, Any]
ROLLING_TYPE = "Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades"


def _time(value: object) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else None


def _progress(record: RollingUpgrade) -> JsonObject:
    return {
        "successfulInstanceCount": len(record.successful),
        "failedInstanceCount": len(record.failed),
        "inProgressInstanceCount": record.in_progress,
        "pendingInstanceCount": record.pending,
    }


def _error(record: RollingUpgrade) -> JsonObject | None:
    return {"code": record.error[0], "message": record.error[1]} if record.error else None


def status_json(record: RollingUpgrade, location: str) -> JsonObject:
    """``RollingUpgradeStatusInfo``."""
    properties: JsonObject = {
        "policy": record.policy.as_json(),
        "runningStatus": {
            "code": record.code,
            "startTime": _time(record.started_at),
            "lastAction": record.last_action,
            "lastActionTime": _time(record.last_action_at),
        },
        "progress": _progress(record),
    }
    if (error := _error(record)) is not None:
        properties["error"] = error
    return {"location": location, "type": ROLLING_TYPE, "properties": properties}


def history_json(record: RollingUpgrade, location: str) -> JsonObject:
    """``UpgradeOperationHistoricalStatusInfo``."""
    image = record.target_image
    properties: JsonObject = {
        "runningStatus": {
            "code": record.code,
            "startTime": _time(record.started_at),
            "endTime": _time(record.ended_at),
        },
        "progress": _progress(record),
        "startedBy": record.started_by,
        "targetImageReference": {
            **({"id": image.id} if image is not None and image.id else {}),
            **(
                {"publisher": image.publisher, "offer": image.offer, "sku": image.sku}
                if image is not None and image.id is None
                else {}
            ),
            "version": record.target_version,
        },
        "rollbackInfo": {"successfullyRolledbackInstanceCount": 0, "failedRolledbackInstanceCount": 0},
    }
    if (error := _error(record)) is not None:
        properties["error"] = error
    return {"properties": properties, "type": ROLLING_TYPE, "location": location}


async def get_latest(call: Call) -> web.StreamResponse:
    key = scale_set_key(call)
    if call.state.cloud.get(key) is None:
        raise not_found(key)
    record = call.state.cloud.rolling_upgrade(key)
    if record is None:
        raise ArmError(404, "NotFound", "The entity was not found in this Azure location.")
    return web.json_response(status_json(record, location_of(call, key)))


async def start_os_upgrade(call: Call) -> web.StreamResponse:
    key = scale_set_key(call)
    location = location_of(call, key)
    before = marks(call.state.cloud, key)
    record = call.state.cloud.start_os_rolling_upgrade(key)
    return accepted(call, call.state.operations.begin("osRollingUpgrade", key, location, before, rolling=record))


async def cancel(call: Call) -> web.StreamResponse:
    key = scale_set_key(call)
    location = location_of(call, key)
    before = marks(call.state.cloud, key)
    call.state.cloud.cancel_rolling_upgrade(key)
    record = call.state.cloud.rolling_upgrade(key)
    return accepted(call, call.state.operations.begin("cancelRollingUpgrade", key, location, before, rolling=record))


async def os_upgrade_history(call: Call) -> web.StreamResponse:
    key = scale_set_key(call)
    if call.state.cloud.get(key) is None:
        raise not_found(key)
    location = location_of(call, key)
    return web.json_response({"value": [history_json(r, location) for r in call.state.cloud.os_upgrade_history(key)]})
