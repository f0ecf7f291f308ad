"""The outside facts a scale set PUT depends on, as Azure serves them (the operator reads them first).

- ``GET /subscriptions/{s}/providers/Microsoft.Compute/skus`` (resource SKUs, api-version 2021-07-01,
  ``$filter=location eq '...'``): one entry per VM size with its location and zones;
- ``GET .../locations/{l}/publishers/{p}/artifacttypes/vmimage/offers/{o}/skus/{s}/versions/{v}``: a
  platform image version, with ``osDiskImage.sizeInGb`` as Azure returns it;
- ``GET .../galleries/{g}/images/{i}/versions/{v}``: a gallery image version, with
  ``storageProfile.osDiskImage.sizeInGB``.

Each answer goes through the engine's counted, fault-injected ``cloud_facts`` call.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from scaleset_operator.api.scaleset import ImageReference
from scaleset_operator.simulator.arm.errors import ArmError
from scaleset_operator.simulator.arm.request import Call
from scaleset_operator.simulator.engine import SimulatedCloud

JsonObject = dict[str, Any]
_LOCATION_FILTER = re.compile(r"^\s*location\s+eq\s+'(?P<location>[^']+)'\s*$", re.IGNORECASE)


def resource_skus(cloud: SimulatedCloud, query_filter: str | None) -> JsonObject:
    location = None
    if query_filter:
        match = _LOCATION_FILTER.match(query_filter)
        if match is None:
            raise ArmError(400, "InvalidFilter", "Only a location filter is supported: location eq '<location>'.")
        location = match["location"].replace(" ", "").lower()
    cloud.now()
    return {"value": cloud.offerings.resource_skus(location)}


def platform_image(cloud: SimulatedCloud, groups: dict[str, str]) -> JsonObject:
    image = ImageReference(publisher=groups["publisher"], offer=groups["offer"], sku=groups["sku"])
    version, location = groups["version"], groups["location"]
    facts = cloud.cloud_facts(location, image)  # counted, fault-injected
    if version not in cloud.catalog.versions(location, image):
        raise ArmError(404, "ImageVersionNotFound", f"Artifact: VMImage was not found (version {version}).")
    size = facts.image_os_disk_gb or 0
    os_type = "Windows" if (image.publisher or "").lower().startswith("microsoftwindows") else "Linux"
    return {
        "name": version,
        "location": location,
        "id": f"/Subscriptions/{groups['sub']}/Providers/Microsoft.Compute/Locations/{location}/Publishers/"
        f"{image.publisher}/ArtifactTypes/VMImage/Offers/{image.offer}/Skus/{image.sku}/Versions/{version}",
        "properties": {
            "osDiskImage": {"operatingSystem": os_type, "sizeInGb": size, "sizeInBytes": size * 1024**3},
            "dataDiskImages": [],
        },
    }


def gallery_image_version(cloud: SimulatedCloud, groups: dict[str, str]) -> JsonObject:
    image_id = (
        f"/subscriptions/{groups['sub']}/resourceGroups/{groups['rg']}/providers/Microsoft.Compute/galleries/"
        f"{groups['gallery']}/images/{groups['image']}"
    )
    image = ImageReference(id=image_id)
    facts = cloud.cloud_facts("", image)  # counted, fault-injected
    gallery = next((g for g in cloud.catalog.snapshot()["gallery"] if str(g["id"]).lower() == image_id.lower()), None)
    listed: list[dict[str, Any]] = list(gallery["versions"]) if gallery is not None else []  # type: ignore[call-overload]
    versions = [v for v in listed if v["version"] == groups["version"]]
    if not versions:
        raise ArmError(404, "ResourceNotFound", f"The gallery image version {groups['version']} was not found.")
    regions = [str(r) for r in versions[0]["regions"]]
    return {
        "id": f"{image_id}/versions/{groups['version']}",
        "name": groups["version"],
        "type": "Microsoft.Compute/galleries/images/versions",
        "location": regions[0] if regions else "unknown",
        "properties": {
            "publishingProfile": {
                "targetRegions": [{"name": r} for r in regions],
                "excludeFromLatest": bool(versions[0]["excludeFromLatest"]),
            },
            "storageProfile": {"osDiskImage": {"sizeInGB": facts.image_os_disk_gb or 0, "hostCaching": "ReadWrite"}},
            "provisioningState": "Succeeded",
        },
    }


async def list_resource_skus(call: Call) -> web.StreamResponse:
    return web.json_response(resource_skus(call.state.cloud, call.query("$filter") or None))


async def get_platform_image(call: Call) -> web.StreamResponse:
    return web.json_response(platform_image(call.state.cloud, call.groups))


async def get_gallery_version(call: Call) -> web.StreamResponse:
    return web.json_response(gallery_image_version(call.state.cloud, call.groups))
