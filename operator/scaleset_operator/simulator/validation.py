"""The simulator refuses a scale set PUT the way Azure does (``cloud/refusals.py``).

The rules are the operator's own, applied to what the simulator receives (the model with its
secret values, from the fake backend or an ARM request body) and to the simulator's facts: its
regions and VM sizes (``offerings.py``) and the image catalog's OS disk sizes. The first refusal is
raised with Azure's code, message and status, so the fake backend fails as Azure would, and the ARM
endpoint answers with Azure's error.
"""

from __future__ import annotations

from scaleset_operator.api.scaleset import ImageReference
from scaleset_operator.cloud.desired import DesiredModel
from scaleset_operator.cloud.errors import InvalidRequest
from scaleset_operator.cloud.refusals import CloudFacts, refusals
from scaleset_operator.simulator.catalog import ImageCatalog
from scaleset_operator.simulator.offerings import Offerings


def cloud_facts(location: str, image: ImageReference, offerings: Offerings, catalog: ImageCatalog) -> CloudFacts:
    known = offerings.known(location)
    return CloudFacts(
        location=location,
        location_known=known,
        sku_zones=offerings.sizes(location) if known else {},
        image_os_disk_gb=catalog.os_disk_size_gb(image),
        known_locations=tuple(sorted(offerings.regions))[:60],
    )


def check_put(model: DesiredModel, capacity: int, name: str, offerings: Offerings, catalog: ImageCatalog) -> None:
    """Raise ``InvalidRequest`` with Azure's code, status and message if Azure would refuse the PUT."""
    found = refusals(model, capacity, name, cloud_facts(model.location, model.image, offerings, catalog))
    if found:
        first = found[0]
        raise InvalidRequest(first.describe(), code=first.code, status=first.status)
