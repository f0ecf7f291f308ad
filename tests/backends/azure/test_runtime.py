"""``run --backend azure`` wiring: flags and environment pick the endpoint, CA bundle and credential."""

from __future__ import annotations

import kopf
import pytest

from scaleset_operator.backends.azure import AzureBackend
from scaleset_operator.cli import build_parser
from scaleset_operator.runtime import OperatorConfig, _azure_backend
from scaleset_operator.simulator.arm import ArmEndpoint


def test_the_run_command_takes_the_azure_flags() -> None:
    args = build_parser().parse_args(
        [
            "run",
            "--backend",
            "azure",
            "--azure-base-url",
            "https://127.0.0.1:8443",
            "--azure-ca-bundle",
            "/tmp/ca.pem",
            "--azure-credential",
            "static",
        ]
    )
    assert (args.backend, args.azure_base_url, args.azure_ca_bundle, args.azure_credential) == (
        "azure",
        "https://127.0.0.1:8443",
        "/tmp/ca.pem",
        "static",
    )


async def test_the_azure_backend_is_built_from_config_and_env(
    arm_endpoint: ArmEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCALESET_AZURE_TOKEN", "anything")
    config = OperatorConfig(
        backend="azure",
        azure_base_url=arm_endpoint.url,
        azure_ca_bundle=str(arm_endpoint.ca_path),
        azure_credential="static",
        azure_subscription_id="00000000-0000-0000-0000-000000000001",
    )
    memo = kopf.Memo()
    backend, clocks = await _azure_backend(config, memo)
    try:
        assert isinstance(backend, AzureBackend) and clocks.time_scale == 1.0
        assert clocks.simulated is None, "Azure's clock is the wall clock: status times are written as they are"
        assert memo.azure_stats is backend.stats
        assert backend.clients.config.base_url == arm_endpoint.url
        assert clocks.now().tzinfo is not None
    finally:
        await backend.close()


async def test_a_credential_missing_its_settings_stops_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_CLIENT_SECRET", raising=False)
    with pytest.raises(SystemExit, match="AZURE_"):
        await _azure_backend(OperatorConfig(backend="azure", azure_credential="secret"), kopf.Memo())
