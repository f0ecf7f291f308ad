"""The image catalog: which OS image versions exist and where, i.e. what 'latest' means now.

Platform images (publisher/offer/sku) are available in every location as soon as they are
published. Gallery images follow Azure Compute Gallery rules: a version counts for 'latest' in a
region only once it is replicated there and not marked ``excludeFromLatest``. Automatic OS upgrades
hinge on exactly this, so the rules live in one place and are unit-tested.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from scaleset_operator.api.scaleset import ImageReference
from scaleset_operator.cloud.errors import InvalidRequest
from scaleset_operator.cloud.observed import ObservedImage

PlatformKey = tuple[str, str, str]

IMAGE_NOT_FOUND = "ImageNotFound"
DEFAULT_OS_DISK_GB = 30
DEFAULT_WINDOWS_OS_DISK_GB = 127


def version_key(version: str) -> tuple[int, ...]:
    """Order versions by their numeric dotted parts (``2024.10.1`` > ``2024.9.30``)."""
    return tuple(int(part) for part in version.split("."))


def _check_version(version: str) -> str:
    try:
        version_key(version)
    except ValueError:
        raise ValueError(f"{version!r} is not a version like 2024.01.15") from None
    return version


def gallery_definition_id(image_id: str) -> str:
    """The gallery image definition ID, without any ``/versions/X`` suffix."""
    return image_id.split("/versions/", 1)[0]


@dataclass
class GalleryImageVersion:
    version: str
    regions: set[str] = field(default_factory=set)
    exclude_from_latest: bool = False


@dataclass
class _GalleryImage:
    image_id: str
    versions: dict[str, GalleryImageVersion] = field(default_factory=dict)


class ImageCatalog:
    """Mutable catalog; keys are matched case-insensitively, as Azure does."""

    def __init__(self) -> None:
        self._platform: dict[PlatformKey, tuple[PlatformKey, set[str]]] = {}
        self._gallery: dict[str, _GalleryImage] = {}
        self._os_disk_gb: dict[str, int] = {}

    # -- image sizes (an OS disk smaller than its image is refused, as on Azure) ----------------

    def set_os_disk_size(self, image: ImageReference, size_gb: int) -> None:
        self._os_disk_gb[_describe(image).lower()] = size_gb

    def os_disk_size_gb(self, image: ImageReference) -> int:
        """The OS disk size of the image's versions: as set, else Azure's usual 127 GB for Windows
        Server images and 30 GB for the others."""
        found = self._os_disk_gb.get(_describe(image).lower())
        if found is not None:
            return found
        return (
            DEFAULT_WINDOWS_OS_DISK_GB
            if (image.publisher or "").lower().startswith("microsoftwindows")
            else DEFAULT_OS_DISK_GB
        )

    # -- publishing ---------------------------------------------------------------------------

    def publish_platform(self, publisher: str, offer: str, sku: str, version: str) -> None:
        key = (publisher, offer, sku)
        _, versions = self._platform.setdefault(_fold(key), (key, set()))
        versions.add(_check_version(version))

    def publish_gallery(
        self,
        image_id: str,
        version: str,
        regions: Iterable[str] = (),
        *,
        exclude_from_latest: bool = False,
    ) -> None:
        """Publish (or update) a gallery image version with the regions it is replicated to."""
        definition = gallery_definition_id(image_id)
        image = self._gallery.setdefault(definition.lower(), _GalleryImage(definition))
        entry = image.versions.setdefault(_check_version(version), GalleryImageVersion(version))
        entry.regions.update(region.lower() for region in regions)
        entry.exclude_from_latest = exclude_from_latest

    def publish(self, image: ImageReference, version: str, regions: Iterable[str] = ()) -> None:
        """Publish ``version`` of whatever image ``image`` names (``regions`` only for galleries)."""
        if image.id is not None:
            self.publish_gallery(image.id, version, regions)
        else:
            assert image.publisher and image.offer and image.sku  # guaranteed by ImageReference
            self.publish_platform(image.publisher, image.offer, image.sku, version)

    def replicate(self, image_id: str, version: str, region: str) -> None:
        self._gallery_version(image_id, version).regions.add(region.lower())

    def set_exclude_from_latest(self, image_id: str, version: str, exclude: bool) -> None:
        self._gallery_version(image_id, version).exclude_from_latest = exclude

    # -- queries ------------------------------------------------------------------------------

    def versions(self, location: str, image: ImageReference) -> list[str]:
        """Versions usable in ``location``, oldest first (gallery: replicated there)."""
        if image.id is not None:
            gallery = self._gallery.get(gallery_definition_id(image.id).lower())
            if gallery is None:
                return []
            usable = [v.version for v in gallery.versions.values() if location.lower() in v.regions]
        else:
            usable = list(self._platform_versions(image))
        return sorted(usable, key=version_key)

    def latest(self, location: str, image: ImageReference) -> str | None:
        """What 'latest' resolves to in ``location`` now, or None if nothing is usable there."""
        if image.id is not None:
            gallery = self._gallery.get(gallery_definition_id(image.id).lower())
            if gallery is None:
                return None
            candidates = [
                v.version
                for v in gallery.versions.values()
                if location.lower() in v.regions and not v.exclude_from_latest
            ]
        else:
            candidates = list(self._platform_versions(image))
        return max(candidates, key=version_key, default=None)

    def resolve(self, location: str, image: ImageReference, version: str | None = None) -> ObservedImage:
        """The concrete image an OS disk is built from: ``version`` if given, else the reference's
        pinned version, else 'latest'. Raises ``InvalidRequest`` (``ImageNotFound``) like Azure."""
        wanted = version or image.pinned_version
        if wanted is None:
            wanted = self.latest(location, image)
            if wanted is None:
                raise InvalidRequest(
                    f"no version of image {_describe(image)} is available for 'latest' in {location}"
                    f"{self._hint(location, image)}",
                    code=IMAGE_NOT_FOUND,
                    status=400,
                )
        elif wanted not in self.versions(location, image):
            raise InvalidRequest(
                f"image {_describe(image)} version {wanted} is not available in {location}"
                f"{self._hint(location, image)}",
                code=IMAGE_NOT_FOUND,
                status=400,
            )
        if image.id is not None:
            return ObservedImage(version=wanted, gallery_image_id=self._gallery_id(image.id))
        return ObservedImage(version=wanted, publisher=image.publisher, offer=image.offer, sku=image.sku)

    def snapshot(self) -> dict[str, list[dict[str, object]]]:
        """Plain data for the admin endpoint."""
        platform: list[dict[str, object]] = [
            {"publisher": k[0], "offer": k[1], "sku": k[2], "versions": sorted(v, key=version_key)}
            for k, v in sorted(self._platform.values(), key=lambda entry: entry[0])
        ]
        gallery: list[dict[str, object]] = [
            {
                "id": g.image_id,
                "versions": [
                    {
                        "version": v.version,
                        "regions": sorted(v.regions),
                        "excludeFromLatest": v.exclude_from_latest,
                    }
                    for v in sorted(g.versions.values(), key=lambda v: version_key(v.version))
                ],
            }
            for g in sorted(self._gallery.values(), key=lambda g: g.image_id)
        ]
        return {"platform": platform, "gallery": gallery}

    # -- internals ----------------------------------------------------------------------------

    def _platform_versions(self, image: ImageReference) -> set[str]:
        key = (image.publisher or "", image.offer or "", image.sku or "")
        entry = self._platform.get(_fold(key))
        return entry[1] if entry else set()

    def _gallery_id(self, image_id: str) -> str:
        definition = gallery_definition_id(image_id)
        entry = self._gallery.get(definition.lower())
        return entry.image_id if entry else definition

    def _gallery_version(self, image_id: str, version: str) -> GalleryImageVersion:
        gallery = self._gallery.get(gallery_definition_id(image_id).lower())
        if gallery is None or version not in gallery.versions:
            raise InvalidRequest(
                f"gallery image {image_id} has no version {version}; publish it first",
                code=IMAGE_NOT_FOUND,
                status=400,
            )
        return gallery.versions[version]

    def _hint(self, location: str, image: ImageReference) -> str:
        if image.id is not None:
            gallery = self._gallery.get(gallery_definition_id(image.id).lower())
            if gallery is None:
                return "; the gallery image is not published (scaleset-operator sim publish-gallery-image)"
            listed = ", ".join(
                f"{v.version} in [{', '.join(sorted(v.regions))}]"
                + (" (excluded from latest)" if v.exclude_from_latest else "")
                for v in sorted(gallery.versions.values(), key=lambda v: version_key(v.version))
            )
            return f"; published versions: {listed}"
        known = sorted(self._platform_versions(image), key=version_key)
        if not known:
            return "; the image is not published (scaleset-operator sim publish-image)"
        return f"; published versions: {', '.join(known)}"


def _fold(key: PlatformKey) -> PlatformKey:
    return (key[0].lower(), key[1].lower(), key[2].lower())


def _describe(image: ImageReference) -> str:
    if image.id is not None:
        return gallery_definition_id(image.id)
    return f"{image.publisher}:{image.offer}:{image.sku}"


UBUNTU_JAMMY = ("Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2")
UBUNTU_NOBLE = ("Canonical", "ubuntu-24_04-lts", "server")
WINDOWS_2022 = ("MicrosoftWindowsServer", "WindowsServer", "2022-datacenter-azure-edition")


def default_catalog() -> ImageCatalog:
    """A catalog seeded with common platform images so examples work out of the box."""
    catalog = ImageCatalog()
    for version in ("2024.01.10", "2024.02.15"):
        catalog.publish_platform(*UBUNTU_JAMMY, version)
    catalog.publish_platform(*UBUNTU_NOBLE, "2024.06.01")
    catalog.publish_platform(*WINDOWS_2022, "20348.2227.240104")
    return catalog
