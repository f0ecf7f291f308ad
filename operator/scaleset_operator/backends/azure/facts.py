"""The outside facts a scale set PUT depends on, read from Azure before the operator writes.

- Regions and VM sizes: the resource SKUs API filtered by location (``resourceSkus.list``, one call,
  all sizes with their zones and restrictions). A size restricted for the subscription in the
  location (``NotAvailableForSubscription``) counts as not offered, its restricted zones as missing.
  No entry at all: the location is unknown (or offers the subscription nothing).
- The image's OS disk size: platform images from ``virtualMachineImages.get`` (the response's
  ``osDiskImage.sizeInGb``, which the SDK model keeps as an untyped field), gallery images from
  ``galleryImageVersions.get`` (``storageProfile.osDiskImage.sizeInGB``).
"""

from __future__ import annotations

from typing import Any

from azure.mgmt.compute import models as sdk
from azure.mgmt.compute.aio import ComputeManagementClient

from scaleset_operator.api.scaleset import ImageReference
from scaleset_operator.backends.azure.images import gallery_coordinates, normalize_region
from scaleset_operator.cloud.refusals import CloudFacts


def offered_zones(sku: sdk.ResourceSku, location: str) -> frozenset[str] | None:
    """The zones ``sku`` is offered in at ``location``; None when it is not offered there at all."""
    zones: set[str] = set()
    for info in sku.location_info or []:
        if normalize_region(info.location or "") == location:
            zones.update(info.zones or [])
    for restriction in sku.restrictions or []:
        restricted = restriction.restriction_info
        where = {normalize_region(v) for v in restriction.values_property or []}
        if restriction.type == "Location" and location in where:
            return None
        if restriction.type == "Zone" and restricted is not None:
            zones.difference_update(restricted.zones or [])
    return frozenset(zones)


async def vm_sizes(client: ComputeManagementClient, location: str) -> dict[str, frozenset[str]]:
    wanted = normalize_region(location)
    sizes: dict[str, frozenset[str]] = {}
    async for sku in client.resource_skus.list(filter=f"location eq '{wanted}'"):
        if sku.resource_type != "virtualMachines" or not sku.name:
            continue
        zones = offered_zones(sku, wanted)
        if zones is not None:
            sizes[sku.name.lower()] = zones
    return sizes


def _size_of(image: Any, *path: str) -> int | None:
    node = image
    for name in path:
        node = node.get(name) if hasattr(node, "get") else None
        if node is None:
            return None
    return int(node) if isinstance(node, int | float) else None


async def os_disk_size_gb(
    client: ComputeManagementClient, location: str, image: ImageReference, version: str
) -> int | None:
    if image.id is not None:
        _, resource_group, gallery, definition = gallery_coordinates(image.id)
        found = await client.gallery_image_versions.get(resource_group, gallery, definition, version)
        return _size_of(found, "properties", "storageProfile", "osDiskImage", "sizeInGB")
    assert image.publisher and image.offer and image.sku  # guaranteed by ImageReference for platform images
    platform = await client.virtual_machine_images.get(location, image.publisher, image.offer, image.sku, version)
    return _size_of(platform, "properties", "osDiskImage", "sizeInGb")


async def cloud_facts(
    client: ComputeManagementClient, image_client: ComputeManagementClient, location: str, image: ImageReference,
    version: str | None,
) -> CloudFacts:  # fmt: skip
    sizes = await vm_sizes(client, location)
    disk = await os_disk_size_gb(image_client, location, image, version) if version is not None else None
    return CloudFacts(location=location, location_known=bool(sizes), sku_zones=sizes, image_os_disk_gb=disk)
