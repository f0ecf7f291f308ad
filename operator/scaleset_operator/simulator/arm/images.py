"""Image versions: platform images (``virtualMachineImages.list``, with ``$orderby`` and ``$top``) and
Azure Compute Gallery image versions (``galleryImageVersions.listByGalleryImage``), from the
engine's catalog. Each listing is the engine's counted, fault-injected image lookup."""

from __future__ import annotations

from typing import Any, cast

from aiohttp import web

from scaleset_operator.api.scaleset import ImageReference
from scaleset_operator.simulator.arm.errors import ArmError
from scaleset_operator.simulator.arm.request import Call
from scaleset_operator.simulator.catalog import version_key

JsonObject = dict[str, Any]


def _ordered(call: Call, versions: list[str]) -> list[str]:
    """``$orderby=name [asc|desc]`` (dotted versions compared part by part) then ``$top=N``."""
    order = " ".join(call.query("$orderby").split()).lower()
    if order:
        if order not in ("name", "name asc", "name desc"):
            raise ArmError(
                400,
                "InvalidParameter",
                f"$orderby '{call.query('$orderby')}' is not supported: use 'name' or 'name desc'.",
            )
        versions = sorted(versions, key=version_key, reverse=order.endswith("desc"))
    top = call.query("$top")
    if top:
        if not top.isdigit() or int(top) < 1:
            raise ArmError(400, "InvalidParameter", f"$top must be a positive integer, not '{top}'.")
        versions = versions[: int(top)]
    return versions


async def list_platform_versions(call: Call) -> web.StreamResponse:
    g = call.groups
    image = ImageReference(publisher=g["publisher"], offer=g["offer"], sku=g["sku"])
    cloud = call.state.cloud
    cloud.latest_image_version(g["location"], image)  # the counted, fault-injected image lookup
    versions = _ordered(call, cloud.catalog.versions(g["location"], image))
    prefix = (
        f"/Subscriptions/{g['sub']}/Providers/Microsoft.Compute/Locations/{g['location']}/Publishers/"
        f"{g['publisher']}/ArtifactTypes/VMImage/Offers/{g['offer']}/Skus/{g['sku']}/Versions"
    )
    return web.json_response([{"name": v, "location": g["location"], "id": f"{prefix}/{v}"} for v in versions])


async def list_gallery_versions(call: Call) -> web.StreamResponse:
    g = call.groups
    image_id = (
        f"/subscriptions/{g['sub']}/resourceGroups/{g['rg']}/providers/Microsoft.Compute/galleries/{g['gallery']}"
        f"/images/{g['image']}"
    )
    cloud = call.state.cloud
    cloud.latest_image_version("", ImageReference(id=image_id))  # the counted, fault-injected image lookup
    gallery = next((e for e in cloud.catalog.snapshot()["gallery"] if str(e["id"]).lower() == image_id.lower()), None)
    if gallery is None:
        raise ArmError(
            404,
            "ParentResourceNotFound",
            f"Can not perform requested operation on nested resource. Parent resource "
            f"'{g['gallery']}/{g['image']}' not found.",
        )
    value = [_gallery_version(str(gallery["id"]), entry) for entry in cast(list[JsonObject], gallery["versions"])]
    return web.json_response({"value": value})


def _gallery_version(image_id: str, entry: JsonObject) -> JsonObject:
    regions = [str(r) for r in entry["regions"]]
    return {
        "id": f"{image_id}/versions/{entry['version']}",
        "name": entry["version"],
        "type": "Microsoft.Compute/galleries/images/versions",
        "location": regions[0] if regions else "unknown",
        "properties": {
            "publishingProfile": {
                "targetRegions": [{"name": r} for r in regions],
                "excludeFromLatest": bool(entry["excludeFromLatest"]),
            },
            "provisioningState": "Succeeded",
        },
    }
