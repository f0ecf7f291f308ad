"""The fleet benchmark in its short form: two shards over a small fleet, beside the no-op kopf
operator. It must complete and report every figure; none of them is asserted (timing goals live in
bench/fleet.py's printed ratios), only what must hold whatever the machine: every ScaleSet became
Ready, and the report names the Azure budget it was paced against."""

from __future__ import annotations

from bench.fleet import report, run

from scaleset_operator.localcp import ControlPlane, Kubectl


def test_fleet_benchmark_completes(control_plane: ControlPlane, kubectl: Kubectl, scaleset_crds: list[str]) -> None:
    del scaleset_crds
    figures = run(control_plane, kubectl, scalesets=12, instances=2, shards=2, idle=5.0, settle=3.0, workers=8)
    printed = report(figures)
    print(printed)
    assert figures.create_to_ready > 0 and len(figures.rss) == 2
    assert "of 360" in printed and "create-to-Ready" in printed
