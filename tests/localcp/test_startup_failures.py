"""When startup goes wrong, the caller learns why, and nothing is left running."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from scaleset_operator.localcp import Assets, ControlPlane, ControlPlaneError
from scaleset_operator.localcp import controlplane as controlplane_module
from scaleset_operator.localcp.controlplane import allocate_ports, port_is_free

pytestmark = pytest.mark.controlplane


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_port_taken_between_pick_and_bind_is_retried(
    control_plane_assets: Assets, busy_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    picks: list[list[int]] = []

    def first_pick_clashes(count: int) -> list[int]:
        ports = allocate_ports(count)
        if not picks:
            ports[0] = busy_port  # etcd's client port: someone else grabbed it meanwhile
        picks.append(ports)
        return ports

    monkeypatch.setattr(controlplane_module, "allocate_ports", first_pick_clashes)
    with ControlPlane(assets=control_plane_assets) as plane:
        assert len(picks) == 2
        assert plane.ports.etcd_client != busy_port
        assert plane.is_ready()


def test_a_bad_flag_fails_fast_with_the_servers_own_words(control_plane_assets: Assets) -> None:
    plane = ControlPlane(assets=control_plane_assets, extra_apiserver_args=["--no-such-flag"])
    with pytest.raises(ControlPlaneError, match="kube-apiserver exited with status 1") as raised:
        plane.start()
    assert "unknown flag: --no-such-flag" in str(raised.value)
    assert plane.pids == {}
    assert all(port_is_free(p) for p in vars(plane.ports).values())
