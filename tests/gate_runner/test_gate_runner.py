"""The gate runner against a Prometheus-compatible HTTP server on loopback (``tests/prometheus_server.py``)
and plain HTTP checks: what passes, what fails, what cannot be measured, and that credentials are used
but never shown."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from scaleset_operator import gate_runner
from scaleset_operator.api.rollout_policy import Gate
from scaleset_operator.planner.rollout.gates import GateRequest
from tests.prometheus_server import PrometheusServer

SECRET = "the-token-value"


def prometheus_gate(query: str = "q", operator: str = "LessThan", threshold: float = 0.05) -> Gate:
    check = {"secretRef": {"name": "prom"}, "query": query, "operator": operator, "threshold": threshold}
    return Gate.model_validate({"name": "g", "prometheus": check})


def reader(values: dict[str, str]) -> Any:
    async def read(namespace: str, name: str, key: str) -> str | None:
        assert (namespace, name) == ("ns", "prom")
        return values.get(key)

    return read


async def measure(gate: Gate, secret: dict[str, str]) -> tuple[str, str | None, str]:
    found = await gate_runner.measure(GateRequest(0, "t", gate), reader(secret), "ns")
    assert SECRET not in found.message and "hunter2" not in found.message
    return found.result, found.value, found.message


@pytest.mark.parametrize(
    ("answer", "operator", "expected"),
    [
        (0.01, "LessThan", ("Passed", "0.01", "0.01 < 0.05")),
        (0.05, "LessThan", ("Failed", "0.05", "0.05 is not < 0.05")),
        (0.05, "LessThanOrEqual", ("Passed", "0.05", "0.05 <= 0.05")),
        (0.9, "GreaterThan", ("Passed", "0.9", "0.9 > 0.05")),
        ([({"pod": "a"}, 0.01), ({"pod": "b"}, 0.2)], "LessThan", ("Failed", "0.2", '0.2{pod="b"} is not < 0.05')),
        ([({"pod": "a"}, 0.01), ({"pod": "b"}, 0.04)], "LessThan", ("Passed", "0.04", '0.04{pod="b"} < 0.05')),
        (float("nan"), "LessThan", ("Failed", "nan", "nan is not < 0.05")),
        ([], "LessThan", ("Error", None, "the query returned no data")),
    ],
    ids=["below", "at the threshold", "at, or equal", "above", "one sample fails", "the worst passes", "NaN", "empty"],
)
async def test_prometheus_query_against_a_threshold(answer: Any, operator: str, expected: tuple[str, str, str]) -> None:
    async with PrometheusServer(token=SECRET) as prom:
        prom.set("q", answer)
        found = await measure(prometheus_gate(operator=operator), {"url": prom.url, "token": SECRET})
        assert prom.queries == ["q"]
    assert found == expected


async def test_basic_auth_and_wrong_credentials() -> None:
    async with PrometheusServer(basic=("reader", "hunter2")) as prom:
        prom.set("q", 0.0)
        ok = await measure(prometheus_gate(), {"url": prom.url + "/", "username": "reader", "password": "hunter2"})
        refused = await measure(prometheus_gate(), {"url": prom.url, "username": "reader", "password": "nope"})
    assert ok[0] == "Passed"
    assert refused == ("Error", None, "Prometheus answered HTTP 401: check the Secret's credentials")


async def test_what_cannot_be_measured_is_an_error_not_a_failure() -> None:
    assert await measure(prometheus_gate(), {}) == ("Error", None, "Secret prom (key url) not found in namespace ns")
    unreachable = await measure(prometheus_gate(), {"url": "http://127.0.0.1:9"})
    assert unreachable[0] == "Error" and unreachable[2].startswith("could not reach it")


async def query_error(request: web.Request) -> web.Response:
    body = {"status": "error", "errorType": "bad_data", "error": "parse error at char 3"}
    return web.json_response(body, status=400)


async def matrix(request: web.Request) -> web.Response:
    return web.json_response({"status": "success", "data": {"resultType": "matrix", "result": []}})


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        (query_error, "the query failed: parse error at char 3"),
        (matrix, "the query returned a matrix: use an instant vector or a scalar"),
    ],
    ids=["bad query", "range vector"],
)
async def test_query_problems_are_reported(handler: Any, message: str, aiohttp_server_url: Any) -> None:
    url = await aiohttp_server_url("/api/v1/query", handler)
    assert await measure(prometheus_gate(), {"url": url}) == ("Error", None, message)


async def test_http_gate(aiohttp_server_url: Any) -> None:
    async def health(request: web.Request) -> web.Response:
        return web.Response(status=int(request.query.get("status", "200")))

    url = await aiohttp_server_url("/health", health)
    gate = Gate.model_validate({"name": "h", "http": {"url": f"{url}/health"}})
    assert await measure(gate, {}) == ("Passed", "200", "HTTP 200")
    failing = Gate.model_validate({"name": "h", "http": {"url": f"{url}/health?status=503"}})
    assert await measure(failing, {}) == ("Failed", "503", "HTTP 503, expected 200")


@pytest.fixture
async def aiohttp_server_url() -> Any:
    runners: list[web.AppRunner] = []

    async def serve(path: str, handler: Any) -> str:
        app = web.Application()
        app.router.add_get(path, handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield serve
    for runner in runners:
        await runner.cleanup()
