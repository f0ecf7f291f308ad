"""A model push made with the capacity the operator observed (capacityOwner not Spec) is sent only if
the scale set is still as observed: ARM's If-Match, through both backends (the real SDK against the
ARM simulator, and the fake one). A capacity someone else set meanwhile is never overwritten."""

from __future__ import annotations

import pytest

from scaleset_operator.cloud.desired import desired_model, scale_set_key
from scaleset_operator.cloud.errors import Conflict

from ..scenarios import World, make_spec


async def test_a_push_if_unchanged_is_refused_after_another_owner_changed_the_capacity(world: World) -> None:
    spec = make_spec(**{"sku.capacity": 2, "capacityOwner": "External"})
    key, model = scale_set_key(spec, "web"), desired_model(spec)
    await world.backend.apply(key, model, 2)
    world.clock.advance(60)
    await world.finish_operations()
    observed = await world.backend.get(key)
    assert observed is not None and observed.etag is not None
    world.cloud.set_capacity(key, 4)  # the portal, a cluster autoscaler
    with pytest.raises(Conflict) as refused:
        await world.backend.apply(key, model, observed.capacity, etag=observed.etag)
    assert refused.value.code == "PreconditionFailed"
    again = await world.backend.get(key)
    assert again is not None and again.capacity == 4
    await world.backend.apply(key, model, again.capacity, etag=again.etag)
    await world.finish_operations()
    final = await world.backend.get(key)
    assert final is not None and final.capacity == 4
