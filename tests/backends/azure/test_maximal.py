"""The maximal ScaleSet through the real SDK client and the ARM-compatible endpoint: what a GET
returns is what was sent (secrets aside), and converged, it causes no write on either backend."""

from __future__ import annotations

import json

from scaleset_operator.backends.azure.observation import scale_set_model
from scaleset_operator.cloud.desired import desired_model, scale_set_key
from scaleset_operator.reconciler import Reconciler
from tests.api.maximal import MANIFESTS, SECRET, SECRETS, maximal_spec

from ..scenarios import MemoryKube, Run, World

SECRET_NAME = "maximal-secrets"
NOT_AZURES = ("azure", "deletionPolicy", "paused", "rolloutPolicy", "upgradePolicy", "capacityOwner", "autoscale")


def _sent_model() -> dict[str, object]:
    """The maximal spec as Azure holds it: no operator fields, no secret references, no user data
    (the endpoint, like Azure without ``$expand=userData``, does not return it)."""
    spec = maximal_spec().model_dump(mode="json", exclude_none=True)
    for name in NOT_AZURES:
        spec.pop(name, None)
    profile = spec["virtualMachineProfile"]
    profile["osProfile"].pop("adminPasswordSecretRef")
    profile.pop("userDataSecretRef")
    for ext in profile["extensionProfile"]["extensions"]:
        ext["properties"].pop("protectedSettingsSecretRef", None)
    return spec


async def test_a_maximal_scale_set_round_trips_through_the_endpoint_unchanged(azure_world: World) -> None:
    spec = maximal_spec()
    key = scale_set_key(spec, "maximal-linux")
    await azure_world.backend.apply(key, desired_model(spec, secrets=SECRETS), spec.sku.capacity)
    client = azure_world.backend.clients.for_subscription(key.subscription_id)  # type: ignore[attr-defined]
    read = await client.virtual_machine_scale_sets.get(key.resource_group, key.name)

    model = scale_set_model(read)
    tags = model.pop("tags")
    assert {k: v for k, v in tags.items() if not k.startswith("scaleset.dev/")} == spec.tags
    expected = _sent_model()
    expected.pop("tags")
    assert model == expected
    stored = azure_world.cloud.model(key)
    assert stored is not None and stored.properties == desired_model(spec).properties
    text = json.dumps(read.as_dict()) + repr(stored)
    for value in (SECRET["adminPassword"], SECRET["userData"], "not-a-real-key"):
        assert value not in text, "the endpoint keeps no secret, and returns none"


async def test_reapplying_the_maximal_scale_set_writes_nothing(world: World) -> None:
    """Converged once, a resync and an operator restart (fresh memory) read, and never write."""
    spec = maximal_spec()
    secrets = {("default", SECRET_NAME, key): value for key, value in SECRET.items()}
    run = Run(world, spec, name="maximal-linux", kube=MemoryKube(secrets))
    await run.converge()
    await world.finish_operations()
    writes = world.cloud.calls.writes_since(0, run.key)
    marker = world.cloud.calls.marker()
    http = world.arm.requests.marker() if world.arm is not None else 0
    patches = run.kube.patches
    for reconciler in (run.reconciler, Reconciler(world.backend, run.kube, world.cloud.clock.now)):
        run.reconciler = reconciler
        for _ in range(3):
            world.clock.advance(300)
            await run.step()
    assert writes >= 1, "the scale set was created"
    assert world.cloud.calls.writes_since(marker, run.key) == 0
    assert run.kube.patches == patches, "nor any status write"
    if world.arm is not None:
        summary = world.arm.requests.summary(http)
        assert summary["writes"] == 0 and summary["reads"] > 0, summary
    assert MANIFESTS["maximal-linux"]["spec"]["virtualMachineProfile"]["priority"] == "Spot"
