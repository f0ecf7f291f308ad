"""Reading Azure's resource SKUs: restrictions for the subscription remove a size or some of its zones
(the SDK's own models, as the API would return them)."""

from __future__ import annotations

from azure.mgmt.compute import models as sdk

from scaleset_operator.backends.azure.facts import offered_zones


def sku(**restrictions: object) -> sdk.ResourceSku:
    return sdk.ResourceSku(
        {
            "resourceType": "virtualMachines",
            "name": "Standard_D2s_v5",
            "locations": ["westeurope"],
            "locationInfo": [{"location": "westeurope", "zones": ["1", "2", "3"]}],
            "restrictions": [restrictions] if restrictions else [],
        }
    )


def test_a_size_restricted_in_some_zones_is_offered_in_the_others() -> None:
    zone = sku(type="Zone", values=["westeurope"], restrictionInfo={"locations": ["westeurope"], "zones": ["2"]},
               reasonCode="NotAvailableForSubscription")  # fmt: skip
    assert offered_zones(sku(), "westeurope") == {"1", "2", "3"}
    assert offered_zones(zone, "westeurope") == {"1", "3"}


def test_a_size_restricted_in_the_location_is_not_offered() -> None:
    location = sku(type="Location", values=["westeurope"], reasonCode="NotAvailableForSubscription")
    assert offered_zones(location, "westeurope") is None
    assert offered_zones(sku(), "northeurope") == frozenset(), "listed, without zones there"
