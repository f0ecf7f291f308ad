"""A small Prometheus-compatible HTTP server for the gate tests: it speaks the instant query API
(``GET|POST /api/v1/query``, the JSON envelope ``{"status": "success", "data": {"resultType":
"vector" | "scalar", "result": ...}}`` and its errors) with the answers a test sets per query, and
checks a bearer token or basic auth like a Prometheus behind an authenticating proxy would.

It is real HTTP on loopback (aiohttp), so the operator's gate runner is tested end to end; it does
not evaluate PromQL: a query it was not told about answers an empty vector (no data), as Prometheus
does for a series that does not exist.

In the test's own event loop (``async with PrometheusServer() as prom``) or in a thread of its own
for an operator process (``prom.start_in_thread()`` / ``prom.stop_thread()``).
"""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class PrometheusServer:
    token: str | None = None
    basic: tuple[str, str] | None = None
    answers: dict[str, list[tuple[dict[str, str], float]] | float] = field(default_factory=dict)
    queries: list[str] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None
    _thread: threading.Thread | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set(self, query: str, value: float | list[tuple[dict[str, str], float]]) -> None:
        """A scalar (a float) or an instant vector ([(labels, value), ...]) for ``query``."""
        self.answers[query] = value

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if self.token is not None:
            return header == f"Bearer {self.token}"
        if self.basic is not None:
            expected = base64.b64encode(f"{self.basic[0]}:{self.basic[1]}".encode()).decode()
            return header == f"Basic {expected}"
        return True

    async def _query(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.Response(status=401, text="Unauthorized")
        params = dict(request.query)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        query = params.get("query")
        if not query:
            body = {"status": "error", "errorType": "bad_data", "error": 'invalid parameter "query"'}
            return web.json_response(body, status=400)
        self.queries.append(query)
        return web.json_response({"status": "success", "data": self._data(query)})

    def _data(self, query: str) -> dict[str, Any]:
        now = time.time()
        answer = self.answers.get(query, [])
        if isinstance(answer, float | int):
            return {"resultType": "scalar", "result": [now, repr(float(answer))]}
        return {
            "resultType": "vector",
            "result": [{"metric": labels, "value": [now, repr(float(value))]} for labels, value in answer],
        }

    async def __aenter__(self) -> PrometheusServer:
        app = web.Application()
        app.router.add_route("GET", "/api/v1/query", self._query)
        app.router.add_route("POST", "/api/v1/query", self._query)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def start_in_thread(self) -> PrometheusServer:
        started = threading.Event()

        def serve() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.__aenter__())
            started.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self.__aexit__())
            self._loop.close()

        self._thread = threading.Thread(target=serve, name="prometheus", daemon=True)
        self._thread.start()
        started.wait(10)
        return self

    def stop_thread(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
