"""The rollout benchmark in its short form: it must complete and report a ratio (its time is not
asserted here; timing goals live in bench/ and are read from its output)."""

from __future__ import annotations

from bench.rollout import run

from scaleset_operator.localcp import ControlPlane, Kubectl


def test_rollout_benchmark_completes(
    control_plane: ControlPlane, kubectl: Kubectl, scaleset_crds: list[str], capsys: object
) -> None:
    del scaleset_crds
    result = run(
        control_plane,
        kubectl,
        instances=10,
        batch_percent=20,
        batch_time=20.0,
        pause="PT0S",
        speed=40.0,
        namespace="bench-short",
    )
    print(result.report())
    assert result.batches == 5
    assert result.measured >= result.ideal  # it cannot beat the simulator's own durations
