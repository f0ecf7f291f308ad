"""The ARM-compatible endpoint, started once per test session, and worlds to run scenarios in.

Everything here runs in the session's event loop (the endpoint is an aiohttp server in that loop),
so the async tests of this directory are moved to the session loop too. Each test gets a fresh
engine (``ArmState.reset``) behind the same listening endpoint, and a fresh ``AzureBackend``: the
real SDK client with a static token, the endpoint's URL as ``base_url`` and its CA bundle.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from scaleset_operator.backends.azure import AzureBackend, AzureConfig, CallBudget, StaticTokenCredential
from scaleset_operator.backends.fake import FakeBackend
from scaleset_operator.simulator.arm import ArmEndpoint, ArmSettings, start_arm_endpoint
from scaleset_operator.simulator.clock import ManualClock
from scaleset_operator.simulator.engine import SimulatedCloud

from ..scenarios import World

HERE = Path(__file__).parent
TOKEN = "test-token"
POLLING_INTERVAL = 0.2
"""Real seconds between LRO status polls (the endpoint sends no Retry-After in tests)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(HERE) and item.get_closest_marker("asyncio") is not None:
            item.add_marker(pytest.mark.asyncio(loop_scope="session"), append=False)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def arm_endpoint(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ArmEndpoint]:
    endpoint = await start_arm_endpoint(
        SimulatedCloud(ManualClock()),
        tmp_path_factory.mktemp("arm-simulator"),
        settings=ArmSettings(poll_retry_after=0),
    )
    yield endpoint
    await endpoint.close()


def azure_config(endpoint: ArmEndpoint, **overrides: float) -> AzureConfig:
    return AzureConfig(
        base_url=endpoint.url,
        ca_bundle=str(endpoint.ca_path),
        polling_interval=overrides.get("polling_interval", POLLING_INTERVAL),
        read_timeout=overrides.get("read_timeout", 30.0),
    )


def sim_budget(clock: ManualClock) -> CallBudget:
    """Compute's limits, on simulated time."""
    return CallBudget(clock=lambda: clock.now().timestamp())


@pytest_asyncio.fixture(loop_scope="session")
async def azure_world(arm_endpoint: ArmEndpoint) -> AsyncIterator[World]:
    clock = ManualClock()
    cloud = SimulatedCloud(clock)
    arm_endpoint.state.reset(cloud)
    backend = AzureBackend.from_config(
        azure_config(arm_endpoint), credential=StaticTokenCredential(TOKEN), budget=sim_budget(clock)
    )
    yield World("azure", cloud, clock, backend, arm_endpoint.state)
    await backend.close()


@pytest_asyncio.fixture(loop_scope="session")
async def fake_world() -> AsyncIterator[World]:
    clock = ManualClock()
    cloud = SimulatedCloud(clock)
    backend = FakeBackend(cloud)
    yield World("fake", cloud, clock, backend)
    await backend.close()


@pytest.fixture(params=["fake", "azure"])
def world(request: pytest.FixtureRequest) -> World:
    """The same engine behind either backend."""
    found: World = request.getfixturevalue(f"{request.param}_world")
    return found
