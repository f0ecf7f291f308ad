"""Measuring rollout gates: the only place the operator queries Prometheus or runs an HTTP check.

The planner says which gates are due (``planner/rollout/gates.due``) and decides from the results;
this module only measures, once per request, and never raises: whatever goes wrong is a measurement
with result ``Error`` and a message (which never contains a credential).

- Prometheus: an instant query, ``GET <url>/api/v1/query?query=...`` (the HTTP API every
  Prometheus-compatible server speaks: Prometheus, Thanos, Mimir, VictoriaMetrics, Azure Monitor's
  managed Prometheus), authenticated with a bearer token or basic auth from the gate's Secret. A
  scalar, or every sample of a vector, must satisfy ``value <operator> threshold``; an empty result
  is an ``Error`` (no data is no evidence).
- HTTP: ``GET url`` must answer ``expectedStatus``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp

from scaleset_operator.api.rollout_policy import GateOperator, HttpGate, PrometheusGate
from scaleset_operator.planner.inputs import GateMeasurement
from scaleset_operator.planner.rollout.gates import GateRequest

REQUEST_TIMEOUT_SECONDS = 10.0
COMPARE: dict[GateOperator, tuple[Callable[[float, float], bool], str]] = {
    "LessThan": (operator.lt, "<"),
    "LessThanOrEqual": (operator.le, "<="),
    "GreaterThan": (operator.gt, ">"),
    "GreaterThanOrEqual": (operator.ge, ">="),
}

Result = Literal["Passed", "Failed", "Error"]
Judged = tuple[Result, str, str]
"""(result, value, message) of one measurement."""
SecretReader = Callable[[str, str, str], Awaitable[str | None]]
"""(namespace, name, key) -> the value, or None when the Secret or key does not exist."""


@dataclass(frozen=True)
class Access:
    """Where Prometheus is and how to authenticate (from the gate's Secret; kept out of ``repr``)."""

    url: str
    token: str | None = field(default=None, repr=False)
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    def headers(self) -> dict[str, str]:
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.username:
            return {"Authorization": aiohttp.encode_basic_auth(self.username, self.password or "")}
        return {}


class MeasurementError(Exception):
    """The gate could not be measured (the message is safe to show)."""


async def access(read: SecretReader, namespace: str, gate: PrometheusGate) -> Access:
    name = gate.secretRef.name
    values = {key: await read(namespace, name, key) for key in ("url", "token", "username", "password")}
    url = values["url"]
    if not url:
        raise MeasurementError(f"Secret {name} (key url) not found in namespace {namespace}")
    return Access(url.rstrip("/"), values["token"], values["username"], values["password"])


async def measure(request: GateRequest, read: SecretReader, namespace: str) -> GateMeasurement:
    gate = request.gate
    result: Result
    try:
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            if gate.prometheus is not None:
                where = await access(read, namespace, gate.prometheus)
                result, value, message = await _prometheus(session, gate.prometheus, where)
            else:
                assert gate.http is not None
                result, value, message = await _http(session, gate.http)
    except MeasurementError as exc:
        result, value, message = "Error", None, str(exc)
    except (aiohttp.ClientError, TimeoutError) as exc:
        result, value, message = "Error", None, f"could not reach it: {type(exc).__name__}"
    return GateMeasurement(request.step, request.reached, gate.name, result, value, message)


async def _prometheus(session: aiohttp.ClientSession, gate: PrometheusGate, where: Access) -> Judged:
    async with session.get(
        f"{where.url}/api/v1/query", params={"query": gate.query}, headers=where.headers()
    ) as response:
        if response.status in (401, 403):
            raise MeasurementError(f"Prometheus answered HTTP {response.status}: check the Secret's credentials")
        try:
            body = await response.json(content_type=None)
        except ValueError:
            raise MeasurementError(f"Prometheus answered HTTP {response.status} without JSON") from None
    if not isinstance(body, dict) or body.get("status") != "success":
        error = body.get("error", "no error message") if isinstance(body, dict) else "not an object"
        raise MeasurementError(f"the query failed: {error}")
    return _judge(gate, _samples(body.get("data") or {}))


def _samples(data: dict[str, Any]) -> list[tuple[str, float]]:
    """(labels, value) of a scalar or an instant vector."""
    kind, result = data.get("resultType"), data.get("result")
    try:
        if kind == "scalar":
            return [("", float(result[1]))]  # type: ignore[index]
        if kind == "vector":
            return [(_labels(s.get("metric") or {}), float(s["value"][1])) for s in result or []]
    except (TypeError, ValueError, KeyError, IndexError):
        raise MeasurementError(f"unreadable {kind} result") from None
    raise MeasurementError(f"the query returned a {kind}: use an instant vector or a scalar")


def _labels(metric: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(metric.items())) + "}" if metric else ""


def _judge(gate: PrometheusGate, samples: list[tuple[str, float]]) -> Judged:
    if not samples:
        raise MeasurementError("the query returned no data")
    compare, symbol = COMPARE[gate.operator]
    failing = [(labels, v) for labels, v in samples if math.isnan(v) or not compare(v, gate.threshold)]
    labels, value = failing[0] if failing else min(samples, key=lambda s: abs(s[1] - gate.threshold))
    shown = f"{value:g}"
    if failing:
        return "Failed", shown, f"{shown}{labels} is not {symbol} {gate.threshold:g}"
    return "Passed", shown, f"{shown}{labels} {symbol} {gate.threshold:g}"


async def _http(session: aiohttp.ClientSession, gate: HttpGate) -> Judged:
    async with session.get(gate.url, allow_redirects=False) as response:
        status = response.status
    if status == gate.expectedStatus:
        return "Passed", str(status), f"HTTP {status}"
    return "Failed", str(status), f"HTTP {status}, expected {gate.expectedStatus}"
