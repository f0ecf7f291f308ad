"""The Microsoft.Insights routes on the wire: autoscale settings and metrics, with ARM's errors."""

from __future__ import annotations

import copy
from typing import Any

from scaleset_operator.simulator.clock import ManualClock

from .conftest import SUB, VMSS, Http, scale_set_body

AUTOSCALE_API = "2022-10-01"
METRICS_API = "2024-02-01"
SETTINGS = f"/subscriptions/{SUB}/resourcegroups/rg-web/providers/Microsoft.Insights/autoscalesettings"
METRICS = f"{VMSS}/providers/Microsoft.Insights/metrics"
BODY: dict[str, Any] = {
    "location": "westeurope",
    "tags": {"team": "web"},
    "properties": {
        "enabled": True,
        "targetResourceUri": VMSS,
        "profiles": [
            {
                "name": "default",
                "capacity": {"minimum": "1", "maximum": "4", "default": "2"},
                "rules": [
                    {
                        "metricTrigger": {
                            "metricName": "Percentage CPU",
                            "metricResourceUri": VMSS,
                            "timeGrain": "PT1M",
                            "statistic": "Average",
                            "timeWindow": "PT10M",
                            "timeAggregation": "Average",
                            "operator": "GreaterThan",
                            "threshold": 75,
                        },
                        "scaleAction": {
                            "direction": "Increase",
                            "type": "ChangeCount",
                            "value": "2",
                            "cooldown": "PT1H",
                        },
                    }
                ],
            }
        ],
        "notifications": [{"operation": "Scale", "webhooks": [{"serviceUri": "https://example.invalid/hook"}]}],
    },
}


async def test_put_get_list_delete(http: Http, clock: ManualClock) -> None:
    assert (await http.call("PUT", VMSS, scale_set_body())).status == 201
    created = await http.call("PUT", f"{SETTINGS}/web-autoscale", BODY, api_version=AUTOSCALE_API)
    again = await http.call("PUT", f"{SETTINGS}/web-autoscale", BODY, api_version=AUTOSCALE_API)
    got = await http.call("GET", f"{SETTINGS}/WEB-AUTOSCALE", api_version=AUTOSCALE_API)
    listed = await http.call("GET", SETTINGS, api_version=AUTOSCALE_API)
    assert (created.status, again.status, got.status) == (201, 200, 200)
    properties = got.body["properties"]
    assert got.body["type"] == "Microsoft.Insights/autoscaleSettings" and got.body["tags"] == {"team": "web"}
    assert properties["profiles"][0]["capacity"] == {"minimum": "1", "maximum": "4", "default": "2"}
    assert properties["profiles"][0]["rules"][0]["scaleAction"] == {
        "direction": "Increase",
        "type": "ChangeCount",
        "value": "2",
        "cooldown": "PT1H",
    }
    assert properties["notifications"] == BODY["properties"]["notifications"], "stored and returned as sent"
    assert [s["name"] for s in listed.body["value"]] == ["web-autoscale"]
    assert (await http.call("DELETE", f"{SETTINGS}/web-autoscale", api_version=AUTOSCALE_API)).status == 200
    assert (await http.call("DELETE", f"{SETTINGS}/web-autoscale", api_version=AUTOSCALE_API)).status == 204
    missing = await http.call("GET", f"{SETTINGS}/web-autoscale", api_version=AUTOSCALE_API)
    assert (missing.status, missing.error[0]) == (404, "ResourceNotFound")


async def test_bad_settings_are_refused_like_arm(http: Http) -> None:
    assert (await http.call("PUT", VMSS, scale_set_body())).status == 201
    wrong_version = await http.call("PUT", f"{SETTINGS}/x", BODY, api_version="2015-04-01")
    assert (wrong_version.status, wrong_version.error[0]) == (400, "NoRegisteredProviderFound")
    dimensions = copy.deepcopy(BODY)
    trigger = dimensions["properties"]["profiles"][0]["rules"][0]["metricTrigger"]
    trigger["dimensions"] = [{"DimensionName": "VMName", "Operator": "Equals", "Values": ["web_0"]}]
    refused = await http.call("PUT", f"{SETTINGS}/x", dimensions, api_version=AUTOSCALE_API)
    assert (refused.status, refused.error[0]) == (400, "InvalidRequest") and "dimensions" in refused.error[1]
    backwards = copy.deepcopy(BODY)
    backwards["properties"]["profiles"][0]["capacity"] = {"minimum": "5", "maximum": "4", "default": "4"}
    refused = await http.call("PUT", f"{SETTINGS}/x", backwards, api_version=AUTOSCALE_API)
    assert refused.status == 400 and "capacity.minimum must not exceed capacity.maximum" in refused.error[1]
    elsewhere = copy.deepcopy(BODY)
    elsewhere["properties"]["targetResourceUri"] = VMSS.replace("/web", "/nope")
    refused = await http.call("PUT", f"{SETTINGS}/x", elsewhere, api_version=AUTOSCALE_API)
    assert (refused.status, refused.error[0]) == (404, "ResourceNotFound")


async def test_metrics_per_instance_or_for_the_scale_set(http: Http, clock: ManualClock) -> None:
    assert (await http.call("PUT", VMSS, scale_set_body())).status == 201
    clock.advance(181)
    timespan = "timespan=2024-01-01T00:01:00Z/2024-01-01T00:03:00Z&interval=PT1M"
    per_vm = await http.call(
        "GET", f"{METRICS}?{timespan}&metricnames=Percentage%20CPU&$filter=VMName%20eq%20'*'", api_version=METRICS_API
    )
    total = await http.call(
        "GET", f"{METRICS}?{timespan}&metricnames=Percentage%20CPU&aggregation=Average,Count", api_version=METRICS_API
    )
    assert per_vm.status == 200, per_vm.body
    metric = per_vm.body["value"][0]
    assert (metric["name"]["value"], metric["unit"]) == ("Percentage CPU", "Percent")
    assert [s["metadatavalues"][0]["value"] for s in metric["timeseries"]] == ["web_0", "web_1"]
    assert metric["timeseries"][0]["data"] == [
        {"timeStamp": "2024-01-01T00:01:00Z", "average": 20.0},
        {"timeStamp": "2024-01-01T00:02:00Z", "average": 20.0},
    ]
    assert total.body["value"][0]["timeseries"][0]["data"][0] == {
        "timeStamp": "2024-01-01T00:01:00Z",
        "average": 20.0,
        "count": 2.0,
    }
    unknown = await http.call("GET", f"{METRICS}?metricnames=Disk%20Queue", api_version=METRICS_API)
    assert (unknown.status, unknown.error[0]) == (400, "BadRequest")
