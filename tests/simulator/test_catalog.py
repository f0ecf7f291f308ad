"""The image catalog: what 'latest' resolves to, per location, for platform and gallery images."""

from __future__ import annotations

import pytest

from scaleset_operator.api.scaleset import ImageReference
from scaleset_operator.cloud.errors import InvalidRequest
from scaleset_operator.simulator.catalog import ImageCatalog, default_catalog, version_key

from .conftest import GALLERY

PLATFORM = ImageReference(publisher="Canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts-gen2")
GALLERY_LATEST = ImageReference(id=GALLERY)


def gallery_catalog() -> ImageCatalog:
    catalog = ImageCatalog()
    catalog.publish_gallery(GALLERY, "1.0.0", ["westeurope", "eastus"])
    catalog.publish_gallery(GALLERY, "1.1.0", ["eastus"])  # not yet replicated to westeurope
    catalog.publish_gallery(GALLERY, "1.2.0", ["westeurope", "eastus"], exclude_from_latest=True)
    return catalog


@pytest.mark.parametrize(
    ("location", "expected"),
    [("westeurope", "1.0.0"), ("eastus", "1.1.0"), ("WestEurope", "1.0.0"), ("northeurope", None)],
)
def test_gallery_latest_needs_replication_and_no_exclusion(location: str, expected: str | None) -> None:
    assert gallery_catalog().latest(location, GALLERY_LATEST) == expected


def test_replicating_makes_a_version_latest_in_that_region() -> None:
    catalog = gallery_catalog()

    catalog.replicate(GALLERY, "1.1.0", "westeurope")

    assert catalog.latest("westeurope", GALLERY_LATEST) == "1.1.0"


def test_including_an_excluded_version_makes_it_latest() -> None:
    catalog = gallery_catalog()

    catalog.set_exclude_from_latest(GALLERY, "1.2.0", False)

    assert catalog.latest("westeurope", GALLERY_LATEST) == "1.2.0"


def test_a_pinned_gallery_version_may_be_excluded_from_latest_but_must_be_replicated() -> None:
    catalog = gallery_catalog()

    pinned = ImageReference(id=f"{GALLERY}/versions/1.2.0")
    assert catalog.resolve("westeurope", pinned).version == "1.2.0"
    assert catalog.resolve("westeurope", pinned).gallery_image_id == GALLERY
    with pytest.raises(InvalidRequest, match=r"1\.1\.0 is not available in westeurope"):
        catalog.resolve("westeurope", ImageReference(id=f"{GALLERY}/versions/1.1.0"))


@pytest.mark.parametrize(
    ("versions", "expected"),
    [
        (["2024.01.10", "2024.02.15"], "2024.02.15"),
        (["2024.9.30", "2024.10.1"], "2024.10.1"),  # numeric, not lexical
        (["1.0.10", "1.0.9"], "1.0.10"),
        ([], None),
    ],
)
def test_platform_latest_is_the_numerically_highest(versions: list[str], expected: str | None) -> None:
    catalog = ImageCatalog()
    for version in versions:
        catalog.publish_platform("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2", version)

    assert catalog.latest("anywhere", PLATFORM) == expected


def test_platform_images_match_case_insensitively_and_everywhere() -> None:
    catalog = default_catalog()
    shouted = ImageReference(publisher="CANONICAL", offer="0001-com-ubuntu-server-jammy", sku="22_04-LTS-gen2")

    assert catalog.latest("westeurope", shouted) == "2024.02.15"
    assert catalog.latest("australiaeast", PLATFORM) == "2024.02.15"


def test_default_catalog_seeds_common_images() -> None:
    catalog = default_catalog()
    windows = ImageReference(
        publisher="MicrosoftWindowsServer", offer="WindowsServer", sku="2022-datacenter-azure-edition"
    )

    assert catalog.versions("westeurope", PLATFORM) == ["2024.01.10", "2024.02.15"]
    assert catalog.latest("westeurope", windows) is not None


def test_publish_dispatches_on_the_reference() -> None:
    catalog = ImageCatalog()

    catalog.publish(PLATFORM, "2024.05.01")
    catalog.publish(GALLERY_LATEST, "2.0.0", ["westeurope"])

    assert catalog.latest("x", PLATFORM) == "2024.05.01"
    assert catalog.latest("westeurope", GALLERY_LATEST) == "2.0.0"


@pytest.mark.parametrize(
    ("image", "fragment"),
    [
        (ImageReference(publisher="Contoso", offer="app", sku="1"), "not published"),
        (ImageReference(publisher="Canonical", offer="0001-com-ubuntu-server-jammy", sku="22_04-lts-gen2",
                        version="2099.01.01"), "published versions: 2024.01.10, 2024.02.15"),
        (ImageReference(id=GALLERY), "not published"),
    ],
)  # fmt: skip
def test_unknown_images_are_refused_with_a_hint(image: ImageReference, fragment: str) -> None:
    with pytest.raises(InvalidRequest) as error:
        default_catalog().resolve("westeurope", image)

    assert error.value.code == "ImageNotFound"
    assert fragment in error.value.message


def test_replicating_an_unknown_version_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="publish it first"):
        gallery_catalog().replicate(GALLERY, "9.9.9", "westeurope")


def test_versions_must_be_dotted_numbers() -> None:
    with pytest.raises(ValueError, match="not a version"):
        ImageCatalog().publish_platform("a", "b", "c", "latest")
    assert version_key("2024.01.10") == (2024, 1, 10)
