"""Admin routes for the ARM endpoint, added to the simulator's admin app (plain HTTP, loopback).

They sit next to the engine's routes (``simulator/admin_server.py``), so one admin port controls
both; ``scaleset-operator sim ...`` keeps working unchanged against it.

- ``GET /arm``: settings, auth state, number of operations, request counts.
- ``POST /arm/auth`` ``{"expired": bool, "token": "..." | null}``: make every token count as expired
  (401 ``ExpiredAuthenticationToken``) and/or accept only one token.
- ``POST /arm/faults/slow`` ``{"seconds": N, "count": 1}``: the next requests answer after N real
  seconds (client timeouts). ``DELETE /arm/faults`` clears it and the expired flag.
- ``GET /arm/requests``: ``{"byOperation": {...}, "summary": {"reads", "writes", "polls", "total"}}``;
  with ``?log=1`` also ``"log"``: every request kept (seq, method, operation, status, scaleSet, client:
  the User-Agent, which carries ``shard/I/N`` for a sharded operator).
- ``POST /arm/settings`` ``{"pollRetryAfter": N, "pageSize": N}``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from scaleset_operator.simulator.arm.state import ArmState

ADMIN_ARM_STATE = web.AppKey("admin_arm_state", ArmState)


def _bad(message: str) -> web.Response:
    return web.json_response({"error": {"code": "BadRequest", "message": message}}, status=400)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    body = await request.json()
    return body if isinstance(body, dict) else {}


def _describe(state: ArmState) -> dict[str, Any]:
    return {
        "settings": {"pollRetryAfter": state.settings.poll_retry_after, "pageSize": state.settings.page_size},
        "auth": {"expired": state.auth.expired, "tokenRequired": state.auth.token is not None},
        "slow": {"seconds": state.slow.seconds, "remaining": state.slow.count},
        "operations": len(state.operations),
        "requests": state.requests.summary(),
    }


async def _arm(request: web.Request) -> web.Response:
    return web.json_response(_describe(request.app[ADMIN_ARM_STATE]))


async def _auth(request: web.Request) -> web.Response:
    state = request.app[ADMIN_ARM_STATE]
    body = await _body(request)
    if "expired" in body:
        if not isinstance(body["expired"], bool):
            return _bad("'expired' must be true or false")
        state.auth.expired = body["expired"]
    if "token" in body:
        token = body["token"]
        if token is not None and (not isinstance(token, str) or not token):
            return _bad("'token' must be a non-empty string or null")
        state.auth.token = token
    return web.json_response(_describe(state))


async def _slow(request: web.Request) -> web.Response:
    state = request.app[ADMIN_ARM_STATE]
    body = await _body(request)
    seconds, count = body.get("seconds"), body.get("count", 1)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        return _bad("'seconds' is required (a non-negative number)")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        return _bad("'count' must be a positive integer")
    state.slow.seconds, state.slow.count = float(seconds), count
    return web.json_response(_describe(state))


async def _clear(request: web.Request) -> web.Response:
    state = request.app[ADMIN_ARM_STATE]
    state.slow.count = 0
    state.auth.expired = False
    return web.json_response(_describe(state))


async def _requests(request: web.Request) -> web.Response:
    log = request.app[ADMIN_ARM_STATE].requests
    body: dict[str, Any] = {"byOperation": log.counts(), "summary": log.summary()}
    if request.query.get("log"):
        body["log"] = [
            {
                "seq": r.seq,
                "method": r.method,
                "operation": r.operation,
                "status": r.status,
                "scaleSet": r.scale_set.name if r.scale_set else None,
                "client": r.client,
            }
            for r in log.since()
        ]
    return web.json_response(body)


async def _settings(request: web.Request) -> web.Response:
    state = request.app[ADMIN_ARM_STATE]
    body = await _body(request)
    for name, attribute in (("pollRetryAfter", "poll_retry_after"), ("pageSize", "page_size")):
        if name in body:
            value = body[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                return _bad(f"'{name}' must be a non-negative integer")
            setattr(state.settings, attribute, value)
    return web.json_response(_describe(state))


def add_arm_admin_routes(app: web.Application, state: ArmState) -> None:
    app[ADMIN_ARM_STATE] = state
    app.add_routes(
        [
            web.get("/arm", _arm),
            web.post("/arm/auth", _auth),
            web.post("/arm/faults/slow", _slow),
            web.delete("/arm/faults", _clear),
            web.get("/arm/requests", _requests),
            web.post("/arm/settings", _settings),
        ]
    )
