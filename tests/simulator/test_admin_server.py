"""The admin endpoint, driven the way a person does: with the real ``scaleset-operator sim`` CLI."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web

from scaleset_operator.cli import main as cli_main
from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.cloud.errors import Conflict, Throttled
from scaleset_operator.simulator.admin_server import bound_port, start_admin_server
from scaleset_operator.simulator.clock import ManualClock
from scaleset_operator.simulator.engine import SimulatedCloud

from .conftest import GALLERY, JAMMY, KEY, ModelFactory, build_model
from .test_autoscale import SETTING, desired


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)


@dataclass
class Sim:
    """The CLI pointed at a live admin server (run in a thread: the client blocks, the server is async)."""

    url: str
    capsys: pytest.CaptureFixture[str]

    async def __call__(self, *args: str) -> Result:
        self.capsys.readouterr()
        code = await asyncio.to_thread(cli_main, ["sim", "--url", self.url, *args])
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)


@pytest.fixture
async def server(cloud: SimulatedCloud) -> AsyncIterator[web.AppRunner]:
    runner = await start_admin_server(cloud, "127.0.0.1", 0)
    yield runner
    await runner.cleanup()


@pytest.fixture
def sim(server: web.AppRunner, capsys: pytest.CaptureFixture[str]) -> Sim:
    return Sim(f"http://127.0.0.1:{bound_port(server)}", capsys)


@pytest.fixture
def running(cloud: SimulatedCloud, clock: ManualClock, make_model: ModelFactory) -> SimulatedCloud:
    cloud.apply(KEY, make_model(zones=("1", "2")), 3)
    clock.advance(60)
    return cloud


async def test_list_and_instances(sim: Sim, running: SimulatedCloud) -> None:
    listed = await sim("list")
    assert listed.code == 0
    header, row = listed.out.splitlines()
    assert header.split()[:4] == ["NAME", "RESOURCE-GROUP", "LOCATION", "CAPACITY"]
    assert row.split()[:8] == ["web", "rg-web", "westeurope", "3", "3", "3", "3", "Succeeded"]

    table = await sim("instances", "web")
    lines = table.out.splitlines()
    assert lines[0].split()[:3] == ["ID", "NAME", "ZONE"]
    assert lines[1].split()[:3] == ["0", "web000000", "1"]
    assert "Healthy" in lines[1] and "0:32G" in lines[1]

    data = (await sim("--json", "instances", "web")).json()
    assert isinstance(data, dict)
    assert [i["zone"] for i in data["instances"]] == ["1", "2", "1"]
    assert data["instances"][0]["dataDisks"] == [{"lun": 0, "diskSizeGB": 32}]


async def test_empty_list(sim: Sim) -> None:
    assert (await sim("list")).out.strip() == "no scale sets"


async def test_json_flag_works_after_the_command_too(sim: Sim, running: SimulatedCloud) -> None:
    data = (await sim("list", "--json")).json()

    assert isinstance(data, dict) and data["scaleSets"][0]["name"] == "web"


async def test_publish_platform_image_changes_latest(sim: Sim, cloud: SimulatedCloud) -> None:
    result = await sim(
        "publish-image", "--publisher", JAMMY["publisher"], "--offer", JAMMY["offer"],
        "--sku", JAMMY["sku"], "--version", "2024.03.01",
    )  # fmt: skip

    assert result.code == 0, result.err
    assert "2024.03.01" in (await sim("images")).out
    assert cloud.catalog.latest("westeurope", build_model().image) == "2024.03.01"


async def test_publish_and_replicate_a_gallery_image(sim: Sim, cloud: SimulatedCloud) -> None:
    image = build_model(image={"id": GALLERY}).image

    await sim("publish-gallery-image", "--id", GALLERY, "--version", "1.0.0", "--regions", "eastus,westeurope")
    await sim("publish-gallery-image", "--id", GALLERY, "--version", "1.1.0", "--regions", "eastus")
    assert cloud.catalog.latest("westeurope", image) == "1.0.0"

    await sim("replicate-gallery-image", "--id", GALLERY, "--version", "1.1.0", "--region", "westeurope")
    assert cloud.catalog.latest("westeurope", image) == "1.1.0"

    await sim("publish-gallery-image", "--id", GALLERY, "--version", "1.2.0", "--regions", "westeurope",
              "--exclude-from-latest")  # fmt: skip
    assert cloud.catalog.latest("westeurope", image) == "1.1.0"


async def test_set_and_clear_health(sim: Sim, running: SimulatedCloud) -> None:
    forced = await sim("set-health", "web", "1", "Unhealthy")
    assert forced.code == 0, forced.err
    assert running.snapshot(KEY).instance("1").health_state == "Unhealthy"  # type: ignore[union-attr]
    assert "Unhealthy (forced)" in (await sim("instances", "web")).out

    await sim("set-health", "web", "1", "clear")
    assert running.snapshot(KEY).instance("1").health_state == "Healthy"  # type: ignore[union-attr]


async def test_bad_image(sim: Sim, running: SimulatedCloud, clock: ManualClock) -> None:
    await sim("bad-image", "2024.02.15")
    running.restart(KEY, ["0"])
    clock.advance(60)
    assert running.snapshot(KEY).instance("0").health_state == "Unhealthy"  # type: ignore[union-attr]

    await sim("bad-image", "2024.02.15", "--clear")
    assert not running.faults.bad_images


async def test_fail_next_and_faults(sim: Sim, cloud: SimulatedCloud, make_model: ModelFactory) -> None:
    result = await sim("fail", "apply", "--count", "1", "--status", "409", "--code", "OperationNotAllowed")
    assert result.code == 0, result.err
    assert "OperationNotAllowed" in (await sim("faults")).out

    with pytest.raises(Conflict) as error:
        cloud.apply(KEY, make_model(), 1)
    assert error.value.code == "OperationNotAllowed"
    cloud.apply(KEY, make_model(), 1)
    assert (await sim("faults")).out.strip() == "no faults"


async def test_fail_in_flight(sim: Sim, running: SimulatedCloud, clock: ManualClock) -> None:
    await sim("fail-in-flight", "restart", "--instances", "2")
    running.restart(KEY, ["1", "2"])
    clock.advance(60)

    states = {i.instance_id: i.provisioning_state for i in running.snapshot(KEY).instances}  # type: ignore[union-attr]
    assert states == {"0": "Succeeded", "1": "Succeeded", "2": "Failed"}


async def test_throttle_and_clear(sim: Sim, cloud: SimulatedCloud) -> None:
    await sim("throttle", "--seconds", "30")
    with pytest.raises(Throttled) as error:
        cloud.get(KEY)
    assert error.value.retry_after == 30
    assert "throttled" in (await sim("faults")).out

    await sim("faults", "--clear")
    assert cloud.get(KEY) is None


async def test_durations(sim: Sim, cloud: SimulatedCloud) -> None:
    changed = await sim("durations", "--create", "5", "--health-delay", "1")

    assert changed.code == 0, changed.err
    assert (cloud.durations.create, cloud.durations.health_delay) == (5, 1)
    shown = {line.split()[0]: line.split()[1] for line in (await sim("durations")).out.splitlines()[1:]}
    assert shown["create"] == "5" and shown["upgrade"] == "30"


async def test_protect(sim: Sim, running: SimulatedCloud) -> None:
    await sim("protect", "web", "0", "--scale-in", "--scale-set-actions")
    instance = running.snapshot(KEY).instance("0")  # type: ignore[union-attr]
    assert instance is not None and instance.protect_from_scale_in and instance.protect_from_scale_set_actions

    await sim("protect", "web", "0", "--no-scale-in")
    instance = running.snapshot(KEY).instance("0")  # type: ignore[union-attr]
    assert instance is not None and not instance.protect_from_scale_in and instance.protect_from_scale_set_actions

    refused = await sim("protect", "web", "0")
    assert refused.code == 1 and "say what to change" in refused.err


async def test_calls_are_shown_and_admin_reads_are_not_counted(sim: Sim, running: SimulatedCloud) -> None:
    running.get(KEY)
    await sim("instances", "web")
    await sim("list")

    data = (await sim("--json", "calls")).json()
    assert isinstance(data, dict)
    assert data["total"] == {"reads": 1, "writes": 1, "byOperation": {"apply": 1, "get": 1}}
    table = (await sim("calls")).out
    assert "apply=1, get=1" in table and str(KEY) in table


async def test_clock(sim: Sim, clock: ManualClock) -> None:
    shown = await sim("clock")
    assert shown.out.startswith("2024-01-01T00:00:00+00:00") and "ManualClock" in shown.out

    await sim("clock", "--advance", "90")
    assert clock.now().isoformat() == "2024-01-01T00:01:30+00:00"


async def test_errors_are_readable(sim: Sim, running: SimulatedCloud, make_model: ModelFactory) -> None:
    missing = await sim("instances", "nope")
    assert missing.code == 1
    assert missing.err.strip() == "error: NotFound: no scale set named 'nope'"

    unknown = await sim("set-health", "web", "42", "Healthy")
    assert unknown.code == 1 and "instance ID 42 not found" in unknown.err

    twin = ScaleSetKey(KEY.subscription_id, "rg-other", "web")
    running.apply(twin, make_model(), 1)
    ambiguous = await sim("instances", "web")
    assert ambiguous.code == 1 and "rg-web" in ambiguous.err and "rg-other" in ambiguous.err
    chosen = await sim("instances", "web", "--resource-group", "rg-other")
    assert chosen.code == 0 and len(chosen.out.splitlines()) == 2


async def test_unreachable_endpoint_says_what_to_check(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    code = await asyncio.to_thread(cli_main, ["sim", "--url", f"http://127.0.0.1:{port}", "list"])

    assert code == 1
    assert "--backend fake" in capsys.readouterr().err


async def test_load_metrics_and_autoscale(sim: Sim, running: SimulatedCloud, clock: ManualClock) -> None:
    assert (await sim("load", "web", "80")).out.strip() == "web: every instance at 80% CPU"
    assert (await sim("load", "web", "95", "--instance", "2")).code == 0
    assert running.loads(KEY) == (80.0, {"0": None, "1": None, "2": 95.0})
    clock.advance(60)
    table = (await sim("metrics", "web")).out.splitlines()
    assert table[0].startswith("web: load 80%, last sampled 2024-01-01T00:02:00")
    assert table[1].split() == ["ID", "LOAD%", "CPU%", "NET-IN-MB", "NET-OUT-MB", "MEM-AVAILABLE-GIB"]
    assert table[2].split()[:5] == ["0", "80", "(scale", "set)", "80.0"]
    assert table[4].split()[:3] == ["2", "95", "95.0"]
    bad = await sim("load", "web", "150")
    assert bad.code == 1 and "between 0 and 100" in bad.err
    assert (await sim("autoscale", "web")).out.strip() == "web: no autoscale setting targets it"
    running.apply_autoscale(desired())
    clock.advance(10 * 60)
    shown = (await sim("autoscale", "web")).out
    assert f"autoscale setting {SETTING.name} (enabled, 1 profile(s))" in shown
    assert "profile: default (Default)" in shown
    assert "ScaleOut" in shown and "Percentage CPU" in shown
    data = (await sim("--json", "autoscale", "web")).json()
    assert data["actions"][0]["oldCapacity"] == 3 and data["actions"][0]["metricValue"] > 70  # type: ignore[index]
