"""'latest' resolution agrees between the fake backend and the Azure backend (gallery and platform)."""

from __future__ import annotations

from scaleset_operator.api.scaleset import ImageReference
from scaleset_operator.backends.azure.images import newest, normalize_region
from scaleset_operator.cloud.desired import ScaleSetKey
from scaleset_operator.simulator.catalog import UBUNTU_JAMMY

from ..scenarios import World

OTHER_SUBSCRIPTION = "00000000-0000-0000-0000-0000000000aa"
GALLERY = (
    f"/subscriptions/{OTHER_SUBSCRIPTION}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/gal/images/web"
)
NOTHING = ScaleSetKey("00000000-0000-0000-0000-000000000001", "rg-web", "nothing-here")
JAMMY = ImageReference(publisher=UBUNTU_JAMMY[0], offer=UBUNTU_JAMMY[1], sku=UBUNTU_JAMMY[2])


async def test_platform_latest_is_the_highest_version(world: World) -> None:
    world.cloud.catalog.publish_platform(*UBUNTU_JAMMY, "2024.10.1")
    world.cloud.catalog.publish_platform(*UBUNTU_JAMMY, "2024.9.30")
    await world.backend.get(NOTHING)  # the Azure backend lists platform images in a subscription it knows
    assert await world.backend.latest_image_version("westeurope", JAMMY) == "2024.10.1"


async def test_gallery_latest_is_replicated_here_and_not_excluded(world: World) -> None:
    catalog = world.cloud.catalog
    catalog.publish_gallery(GALLERY, "1.0.0", ["westeurope", "northeurope"])
    catalog.publish_gallery(GALLERY, "1.1.0", ["westeurope"], exclude_from_latest=True)
    catalog.publish_gallery(GALLERY, "1.2.0", ["northeurope"])
    image = ImageReference(id=GALLERY)

    assert await world.backend.latest_image_version("westeurope", image) == "1.0.0"
    assert await world.backend.latest_image_version("northeurope", image) == "1.2.0"
    catalog.replicate(GALLERY, "1.2.0", "westeurope")
    assert await world.backend.latest_image_version("westeurope", image) == "1.2.0"


async def test_an_unpublished_gallery_image_has_no_latest(world: World) -> None:
    assert await world.backend.latest_image_version("westeurope", ImageReference(id=GALLERY + "x")) is None


def test_versions_compare_numerically_and_regions_by_name() -> None:
    assert newest(["2024.9.30", "2024.10.1", "not-a-version"]) == "2024.10.1"
    assert newest([]) is None
    assert normalize_region("West Europe") == normalize_region("westeurope")
