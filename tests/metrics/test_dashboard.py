"""The Grafana dashboard the chart ships (files/grafana/scaleset-operator.json) queries what the operator exports.

Every panel's PromQL is parsed down to the metric names it selects, and each must be a series the
operator's registry (``scaleset_operator.metrics.REGISTRY``) exposes: a renamed or removed metric
turns a panel blank without anyone noticing, unless this fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from scaleset_operator.metrics import REGISTRY

DASHBOARD = (
    Path(__file__).resolve().parents[2] / "helm" / "scaleset-operator" / "files" / "grafana" / "scaleset-operator.json"
)

# Words in PromQL that are not metric names when not followed by "(".
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset"}
SERIES_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def exported_series() -> set[str]:
    """Every series name the registry can expose (a counter's ``_total``, a histogram's parts)."""
    names = set()
    for collector in list(REGISTRY._collector_to_names):  # prometheus_client lists collectors only privately
        for family in collector.describe():
            names.update(family.name + suffix for suffix in SERIES_SUFFIXES.get(family.type, ("",)))
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, labels, groupings and ranges removed)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range selectors ([5m], [$__rate_interval])
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)  # label lists
    identifiers = re.findall(r"(?<![\w$.])([a-zA-Z_:][\w:]*)\s*(\()?", expr)
    return {name for name, call in identifiers if not call and name not in KEYWORDS}


def panels() -> list[dict[str, Any]]:
    dashboard: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def test_the_parser_finds_metric_names_and_nothing_else() -> None:
    expr = 'histogram_quantile(0.95, sum by (le, operation) (rate(a_seconds_bucket{x="y{z}"}[$__rate_interval])))'
    assert metric_names(expr) == {"a_seconds_bucket"}
    assert metric_names("sum(b) / on(namespace) group_left c unless d offset 5m") == {"b", "c", "d"}


@pytest.mark.parametrize("title", [p["title"] for p in panels()])
def test_every_panel_queries_metrics_the_operator_exports(title: str) -> None:
    panel = next(p for p in panels() if p["title"] == title)
    exported = exported_series()
    assert panel["targets"], f"{title} has no query"
    for target in panel["targets"]:
        names = metric_names(target["expr"])
        assert names, f"{title}: no metric in {target['expr']!r}"
        unknown = names - exported
        assert not unknown, f"{title}: {sorted(unknown)} are not exported; the operator exports {sorted(exported)}"
        assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


def test_every_exported_metric_is_on_the_dashboard() -> None:
    queried = {name for panel in panels() for t in panel["targets"] for name in metric_names(t["expr"])}
    families = {family.name for c in list(REGISTRY._collector_to_names) for family in c.describe()}
    shown = {family for family in families if any(name.startswith(family) for name in queried)}
    assert shown == families, f"not on the dashboard: {sorted(families - shown)}"


def test_the_layout_is_a_valid_grid() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert variables == {"datasource", "namespace", "name"}
