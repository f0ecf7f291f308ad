"""Autoscale settings and metrics through both backends: the fake one, and the real azure-mgmt-monitor
client over HTTPS to the ARM simulator, which evaluates the setting as Azure would."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from azure.mgmt.monitor import models as monitor

from scaleset_operator.api.autoscale import AutoscaleSettings
from scaleset_operator.backends.azure import AzureBackend
from scaleset_operator.backends.azure.autoscale import observe_setting
from scaleset_operator.cloud.autoscale import AUTOSCALE_HASH_TAG, AutoscaleKey, DesiredAutoscale, desired_autoscale
from scaleset_operator.cloud.desired import desired_model
from scaleset_operator.cloud.errors import Conflict, InvalidRequest

from ..scenarios import World, make_spec

RULES: list[dict[str, Any]] = [
    {
        "metricTrigger": {
            "metricName": "Percentage CPU",
            "operator": "GreaterThan",
            "threshold": 70,
            "timeWindow": "PT5M",
        },
        "scaleAction": {"direction": "Increase", "cooldown": "PT5M"},
    },
    {
        "metricTrigger": {
            "metricName": "Percentage CPU",
            "operator": "LessThan",
            "threshold": 30,
            "timeWindow": "PT5M",
        },
        "scaleAction": {"direction": "Decrease", "type": "PercentChangeCount", "value": 50, "cooldown": "PT5M"},
    },
]
AUTOSCALE: dict[str, Any] = {
    "profiles": [
        {"name": "default", "capacity": {"minimum": 2, "maximum": 5, "default": 2}, "rules": RULES},
        {
            "name": "black-friday",
            "capacity": {"minimum": 4, "maximum": 10, "default": 4},
            "rules": RULES,
            "fixedDate": {
                "timeZone": "Pacific Standard Time",
                "start": "2024-11-29T00:00:00",
                "end": "2024-11-29T23:59:00",
            },
        },
        {
            "name": "weekend",
            "capacity": {"minimum": 1, "maximum": 3, "default": 1},
            "recurrence": {
                "schedule": {
                    "timeZone": "W. Europe Standard Time",
                    "days": ["Saturday", "Sunday"],
                    "hours": [6],
                    "minutes": [30],
                }
            },
        },
    ],
    "predictiveAutoscalePolicy": {"scaleMode": "ForecastOnly"},
}
JOURNEY: dict[str, Any] = {"profiles": AUTOSCALE["profiles"][:1]}
"""The default profile alone (with a recurrence profile, the default profile is never in force)."""


async def started(world: World, autoscale: dict[str, Any] = JOURNEY) -> DesiredAutoscale:
    """A running scale set of two instances and the autoscale setting its spec asks for."""
    spec = make_spec(**{"sku.capacity": 2, "capacityOwner": "Autoscale", "autoscale": autoscale})
    desired = desired_autoscale(spec, "web")
    assert desired is not None
    await world.backend.apply(desired.target, desired_model(spec), 2)
    world.clock.advance(60)
    await world.finish_operations()
    return desired


async def capacity_timeline(world: World, desired: DesiredAutoscale, minutes: int) -> list[int]:
    seen = []
    for _ in range(minutes):
        world.clock.advance(60)
        observed = await world.backend.get(desired.target)
        assert observed is not None
        seen.append(observed.capacity)
    return seen


async def test_a_setting_round_trips_with_azure_names_and_types(world: World) -> None:
    desired = await started(world, AUTOSCALE)
    assert await world.backend.get_autoscale(desired.target) is None
    await world.backend.apply_autoscale(desired)
    observed = await world.backend.get_autoscale(desired.target)
    assert observed is not None
    assert (observed.key.name, observed.enabled, observed.targets(desired.target)) == ("web-autoscale", True, True)
    assert observed.settings == desired.settings, "every field survives the trip through Azure's shapes"
    assert observed.settings_hash == desired.settings_hash()
    stored = world.cloud.autoscale.find(desired.key)
    assert stored is not None and stored.settings == desired.settings


async def test_load_80_scales_out_by_rule_with_cooldown_and_load_10_scales_in(world: World) -> None:
    desired = await started(world)
    await world.backend.apply_autoscale(desired)
    world.cloud.set_load(desired.target, 80)
    out = await capacity_timeline(world, desired, 16)
    assert out == [2] * 5 + [3] * 5 + [4] * 5 + [5]
    world.cloud.set_load(desired.target, 10)
    back = await capacity_timeline(world, desired, 12)
    assert back[-1] == 2 and 3 in back, "by 50% (rounded down, at least one) per cooldown, to the minimum"
    setting = world.cloud.autoscale.targeting(desired.target)
    assert setting is not None
    assert [(a.old_capacity, a.new_capacity, a.reason) for a in setting.actions] == [
        (2, 3, "ScaleOut"),
        (3, 4, "ScaleOut"),
        (4, 5, "ScaleOut"),
        (5, 3, "ScaleIn"),
        (3, 2, "ScaleIn"),
    ]


async def test_metrics_per_instance(world: World) -> None:
    desired = await started(world)
    world.cloud.set_load(desired.target, 40)
    world.cloud.set_load(desired.target, 90, instance_id="1")
    world.clock.advance(180)
    now = world.clock.now()
    metrics = await world.backend.get_metrics(desired.target, ["percentage cpu"], now - timedelta(minutes=2), now)
    assert [(s.instance_id, s.value) for s in metrics["percentage cpu"]] == [("0", 40.0), ("1", 90.0)] * 2
    assert {s.time for s in metrics["percentage cpu"]} == {now - timedelta(minutes=2), now - timedelta(minutes=1)}
    with pytest.raises(InvalidRequest, match="Disk Read Bytes"):
        await world.backend.get_metrics(desired.target, ["Disk Read Bytes"], now - timedelta(minutes=2), now)


async def test_a_put_keeps_what_others_set_and_one_setting_per_scale_set(world: World) -> None:
    desired = await started(world)
    notification = {"operation": "Scale", "email": {"sendToSubscriptionAdministrator": True, "customEmails": []}}
    world.cloud.apply_autoscale(desired, tags={"team": "web"}, extra={"notifications": [notification]})
    assert await world.backend.get_autoscale(desired.target) is not None
    await world.backend.apply_autoscale(desired)
    stored = world.cloud.autoscale.find(desired.key)
    assert stored is not None and stored.tags == {"team": "web", AUTOSCALE_HASH_TAG: desired.settings_hash()}
    if isinstance(world.backend, AzureBackend):
        assert stored.extra["notifications"][0]["operation"] == "Scale", "notifications survive the PUT"
    elsewhere = DesiredAutoscale(
        AutoscaleKey(desired.key.subscription_id, desired.key.resource_group, "made-in-portal"),
        desired.location,
        desired.target,
        desired.settings,
    )
    with pytest.raises(Conflict, match="only one autoscale setting"):
        await world.backend.apply_autoscale(elsewhere)
    await world.backend.delete_autoscale(desired.key)
    await world.backend.delete_autoscale(desired.key)
    assert await world.backend.get_autoscale(desired.target) is None


async def test_both_backends_see_the_same_journey(fake_world: World, azure_world: World) -> None:
    timelines = {}
    for world in (fake_world, azure_world):
        desired = await started(world)
        await world.backend.apply_autoscale(desired)
        world.cloud.set_load(desired.target, 85)
        timelines[world.name] = await capacity_timeline(world, desired, 12)
    # The first window still holds a minute at the default 20%: (20 + 4 x 85) / 5 = 72 > 70.
    assert timelines["fake"] == timelines["azure"] == [2] * 4 + [3] * 5 + [4] * 3


def test_a_setting_made_elsewhere_is_observed_even_when_it_does_not_fit_this_api() -> None:
    vmss = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/web"
    body = {
        "id": "/subscriptions/s/resourceGroups/rg/providers/microsoft.insights/autoscalesettings/portal",
        "location": "westeurope",
        "properties": {
            "enabled": True,
            "targetResourceUri": vmss,
            "profiles": [
                {
                    "name": '{"name":"Auto created default scale condition","for":"weekend"}',
                    "capacity": {"minimum": "1", "maximum": "3", "default": "1"},
                    "rules": [
                        {
                            "metricTrigger": {
                                "metricName": "Percentage CPU",
                                "metricResourceUri": vmss,
                                "timeGrain": "PT1M",
                                "statistic": "Average",
                                "timeWindow": "PT90S",
                                "timeAggregation": "Average",
                                "operator": "GreaterThan",
                                "threshold": 70,
                            },
                            "scaleAction": {
                                "direction": "Increase",
                                "type": "ChangeCount",
                                "value": "1",
                                "cooldown": "PT5M",
                            },
                        }
                    ],
                }
            ],
        },
    }
    observed = observe_setting(monitor.AutoscaleSettingResource.deserialize(body))
    assert (observed.key.name, observed.enabled, observed.settings) == ("portal", True, None)
    fits = {
        **body,
        "properties": {**body["properties"], "profiles": [{**body["properties"]["profiles"][0], "rules": []}]},
    }
    parsed = observe_setting(monitor.AutoscaleSettingResource.deserialize(fits)).settings
    assert isinstance(parsed, AutoscaleSettings) and parsed.profiles[0].capacity.maximum == 3
