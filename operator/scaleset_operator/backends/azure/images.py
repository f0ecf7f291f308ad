"""What 'latest' resolves to: the newest platform image version, or the newest gallery image version
that Azure would pick for a scale set in that region.

Platform images: ``virtualMachineImages.list`` (one call, all versions of publisher/offer/sku in
the location) and the highest version by its numeric parts. Gallery images:
``galleryImageVersions.listByGalleryImage`` and the highest version that targets the location and
is not excluded from latest (``publishingProfile.excludeFromLatest``, or the same flag on that
target region) and whose provisioning succeeded: the rule Azure applies when a scale set asks for
the definition without a version, and so the rule automatic OS upgrades follow.
"""

from __future__ import annotations

import re

from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.compute import models as sdk
from azure.mgmt.compute.aio import ComputeManagementClient

from scaleset_operator.api.scaleset import ImageReference

_GALLERY_IMAGE = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Compute"
    r"/galleries/(?P<gallery>[^/]+)/images/(?P<image>[^/]+)",
    re.IGNORECASE,
)


def version_key(version: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return None


def newest(versions: list[str]) -> str | None:
    keyed = [(key, v) for v in versions if (key := version_key(v)) is not None]
    return max(keyed)[1] if keyed else None


def normalize_region(name: str) -> str:
    """``West Europe`` and ``westeurope`` are the same region to ARM."""
    return name.replace(" ", "").lower()


def gallery_coordinates(image_id: str) -> tuple[str, str, str, str]:
    """(subscription, resource group, gallery, image definition) of a gallery image ID."""
    match = _GALLERY_IMAGE.match(image_id)
    if match is None:
        raise ValueError(f"not a gallery image ID: {image_id}")
    return match["sub"], match["rg"], match["gallery"], match["image"]


async def latest_platform_version(client: ComputeManagementClient, location: str, image: ImageReference) -> str | None:
    assert image.publisher and image.offer and image.sku  # guaranteed by ImageReference for platform images
    listed = await client.virtual_machine_images.list(location, image.publisher, image.offer, image.sku)
    return newest([item.name for item in listed if item.name])


def usable_in(version: sdk.GalleryImageVersion, location: str) -> bool:
    props = version.properties
    if props is None or props.publishing_profile is None:
        return False
    if props.provisioning_state not in (None, "Succeeded"):
        return False
    profile = props.publishing_profile
    if profile.exclude_from_latest:
        return False
    wanted = normalize_region(location)
    return any(
        normalize_region(region.name) == wanted and not region.exclude_from_latest
        for region in profile.target_regions or []
    )


async def latest_gallery_version(client: ComputeManagementClient, location: str, image: ImageReference) -> str | None:
    """None also when the image definition does not exist (yet): no usable version, like the fake."""
    assert image.id is not None
    _, resource_group, gallery, definition = gallery_coordinates(image.id)
    versions = client.gallery_image_versions.list_by_gallery_image(resource_group, gallery, definition)
    try:
        return newest([v.name async for v in versions if v.name and usable_in(v, location)])
    except ResourceNotFoundError:
        return None
