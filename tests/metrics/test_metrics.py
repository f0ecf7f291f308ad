"""The operator's Prometheus metrics, scraped from a running operator as Prometheus would."""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from scaleset_operator.localcp import ControlPlane, Kubectl
from scaleset_operator.localcp.controlplane import allocate_ports
from tests.e2e.journeys import condition, eventually, example, get, wait_ready, with_name
from tests.fixtures.operator import operator_process


def scrape(port: int) -> dict[str, list[tuple[dict[str, str], float]]]:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def value(samples: dict[str, list[tuple[dict[str, str], float]]], metric: str, **labels: str) -> float:
    return sum(v for found, v in samples.get(metric, []) if all(found.get(k) == x for k, x in labels.items()))


def test_metrics_cover_reconciles_backend_calls_throttling_rollouts_and_instances(
    control_plane: ControlPlane, kubectl: Kubectl, scaleset_crds: list[str], namespace: str
) -> None:
    del scaleset_crds
    (port,) = allocate_ports(1)
    with operator_process(control_plane, namespaces=[namespace], extra_args=["--metrics-port", str(port)]) as op:
        kubectl.apply(with_name(example("rolling-web-tier"), "metered", **{"sku.capacity": 4}), namespace=namespace)
        wait_ready(kubectl, namespace, "metered")
        kubectl.ok(
            "patch",
            "vmss",
            "metered",
            "-n",
            namespace,
            "--type=merge",
            "-p",
            '{"spec":{"sku":{"name":"Standard_D4s_v5"}}}',
        )
        eventually(
            lambda: get(kubectl, namespace, "metered"),
            lambda o: (
                (o["status"].get("rollingUpgrade") or {}).get("runningStatus", {}).get("code") == "Completed"
                and o["status"].get("observedGeneration") == 2
            ),
        )
        samples = scrape(port)
        assert value(samples, "scaleset_reconcile_duration_seconds_count") > 0
        assert value(samples, "scaleset_backend_calls_total", backend="fake", operation="get", outcome="ok") > 0
        assert value(samples, "scaleset_backend_calls_total", operation="upgrade_instances", outcome="ok") == 4
        assert (
            value(samples, "scaleset_rollout_instances", name="metered", kind="ModelUpgrade", state="successful") == 4
        )
        assert value(samples, "scaleset_replicas", name="metered", kind="ready") == 4
        assert (
            value(
                samples,
                "scaleset_instances",
                name="metered",
                provisioning_state="Succeeded",
                health_state="Healthy",
                latest_model="true",
            )
            == 4
        )
        assert value(samples, "scaleset_status_writes_total", kind="ScaleSet") > 0

        # 600 simulated seconds (12 s at speed 50): long enough for a loaded machine to see the throttled status
        op.sim("throttle", "--seconds", "600", "--retry-after", "2")
        obj = eventually(
            lambda: get(kubectl, namespace, "metered"),
            lambda o: condition(o, "Reconciling").get("reason") == "Throttled",
        )
        assert "TooManyRequests" in condition(obj, "Reconciling")["message"]
        samples = scrape(port)
        assert value(samples, "scaleset_throttle_wait_seconds_total") >= 2
        assert value(samples, "scaleset_backend_calls_total", outcome="TooManyRequests") >= 1
