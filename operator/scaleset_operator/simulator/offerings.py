"""What the simulated cloud offers where: its regions, and the VM sizes (with their zones) in each.

Azure's answer to "does this region exist, does it offer this size, in these zones" is the
resource SKUs API (``GET /subscriptions/{s}/providers/Microsoft.Compute/skus``, one entry per size
with its locations, zones and restrictions). The simulator keeps the same facts here, serves them on
that route (``arm/app.py``), and refuses a scale set PUT that asks for something not offered
(``validation.py``), as Azure would. Seeded with Azure's public regions (the zonal ones with zones
1-3) and common sizes; tests and the admin endpoint can add or withdraw sizes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ZONAL_REGIONS = (
    "australiaeast", "brazilsouth", "canadacentral", "centralindia", "centralus", "eastasia", "eastus",
    "eastus2", "francecentral", "germanywestcentral", "italynorth", "japaneast", "koreacentral", "northeurope",
    "norwayeast", "polandcentral", "southafricanorth", "southcentralus", "southeastasia", "swedencentral",
    "switzerlandnorth", "uaenorth", "uksouth", "westeurope", "westus2", "westus3",
)  # fmt: skip
REGIONAL_ONLY = ("northcentralus", "westus", "westcentralus", "ukwest", "canadaeast", "japanwest", "australiasoutheast")
SIZES = (
    "Standard_B1s", "Standard_B1ms", "Standard_B2s", "Standard_B2ms", "Standard_B4ms",
    "Standard_D2s_v3", "Standard_D4s_v3", "Standard_D2s_v4", "Standard_D4s_v4",
    "Standard_D2s_v5", "Standard_D4s_v5", "Standard_D8s_v5", "Standard_D16s_v5", "Standard_D32s_v5",
    "Standard_D2as_v5", "Standard_D4as_v5", "Standard_D8as_v5", "Standard_D2ds_v5", "Standard_D4ds_v5",
    "Standard_E2s_v5", "Standard_E4s_v5", "Standard_E8s_v5", "Standard_F2s_v2", "Standard_F4s_v2",
    "Standard_F8s_v2", "Standard_NC4as_T4_v3", "Basic_A0", "Basic_A1", "Basic_A2",
)  # fmt: skip
ALL_ZONES = frozenset({"1", "2", "3"})


@dataclass
class Offerings:
    """location -> VM size (lower case) -> (its name, the zones it is offered in there)."""

    regions: dict[str, dict[str, tuple[str, frozenset[str]]]] = field(default_factory=dict)

    def add_region(self, location: str, zones: frozenset[str] = ALL_ZONES, sizes: tuple[str, ...] = SIZES) -> None:
        self.regions[location.lower()] = {s.lower(): (s, zones) for s in sizes}

    def offer(self, location: str, size: str, zones: frozenset[str] = ALL_ZONES) -> None:
        self.regions.setdefault(location.lower(), {})[size.lower()] = (size, zones)

    def withdraw(self, location: str, size: str) -> None:
        self.regions.get(location.lower(), {}).pop(size.lower(), None)

    def known(self, location: str) -> bool:
        return location.lower() in self.regions

    def sizes(self, location: str) -> dict[str, frozenset[str]]:
        """size (lower case) -> zones, for the sizes offered in ``location``."""
        return {key: zones for key, (_, zones) in self.regions.get(location.lower(), {}).items()}

    def resource_skus(self, location: str | None = None) -> list[dict[str, object]]:
        """The resource SKUs API's entries (``virtualMachines``), for one location or all."""
        entries: list[dict[str, object]] = []
        for region, sizes in sorted(self.regions.items()):
            if location is not None and region != location.lower():
                continue
            for name, zones in sorted(sizes.values()):
                entries.append(
                    {
                        "resourceType": "virtualMachines",
                        "name": name,
                        "tier": name.split("_", 1)[0],
                        "locations": [region],
                        "locationInfo": [{"location": region, "zones": sorted(zones)}],
                        "restrictions": [],
                    }
                )
        return entries


def default_offerings() -> Offerings:
    offerings = Offerings()
    for region in ZONAL_REGIONS:
        offerings.add_region(region)
    for region in REGIONAL_ONLY:
        offerings.add_region(region, zones=frozenset())
    return offerings
