"""No password oracle (issue 16, item 1), through the real loop on both backends.

- What a ScaleSet reader sees (the ScaleSet with its status, its Events, the cloud scale set's tags,
  the operator's logs at DEBUG) confirms no guessed password: ``tests/oracle.py`` tries the guesses
  with every unkeyed scheme, the legacy one included. The same attack confirms the password against
  what an operator with the legacy (unkeyed) fingerprints shows, so the test can fail.
- A scale set written with the legacy hashes is recognised as the same model: re-tagged once with
  one PUT, no instance touched, and no legacy hash left in status.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from scaleset_operator.cloud.desired import HASH_SCHEME_TAG, MODEL_HASH_TAG
from scaleset_operator.cloud.secrets import LEGACY_FINGERPRINTS, Fingerprints, HashKey
from scaleset_operator.reconciler import PassResult
from tests.harness import MemoryKube, Run, World
from tests.oracle import confirmed, wordlist
from tests.planner.specs import changed

from ..scenarios import make_spec

PASSWORD = "Gu3ss-Me-If-You-Can"
SECRET = {("default", "vm-admin", "password"): PASSWORD}
PASSWORD_SPEC = {
    "sku.capacity": 3,
    "virtualMachineProfile.osProfile.adminPasswordSecretRef": {"name": "vm-admin", "key": "password"},
    "virtualMachineProfile.osProfile.linuxConfiguration": {"disablePasswordAuthentication": False},
}


def password_run(world: World, fingerprints: Fingerprints) -> Run:
    return Run(world, make_spec(**PASSWORD_SPEC), kube=MemoryKube(dict(SECRET)), fingerprints=fingerprints)


async def cloud_tags(run: Run) -> dict[str, Any]:
    """The cloud scale set's tags as a cloud reader sees them (Azure: the resource's tags; fake: what
    the backend reports, instances included)."""
    world = run.world
    if world.arm is not None:
        return dict(world.arm.documents[run.key].body.get("tags") or {})
    observed = await world.backend.get(run.key)
    return {"observed": repr(observed)}


async def tagged(run: Run) -> tuple[str | None, str | None]:
    """(model hash, hash scheme) as the cloud scale set carries them (no call: the budget is the
    operator's)."""
    if run.world.arm is not None:
        tags = run.world.arm.documents[run.key].body.get("tags") or {}
        return tags.get(MODEL_HASH_TAG), tags.get(HASH_SCHEME_TAG)
    observed = await run.observe()
    return observed.model_hash, observed.hash_scheme


async def readers_view(run: Run, caplog: pytest.LogCaptureFixture) -> str:
    body = run.body()
    return json.dumps(
        {
            "scaleSet": body,  # spec and status, as kubectl shows them
            "events": run.events,
            "tags": await cloud_tags(run),
            "logs": caplog.text,
        }
    )


async def create_and_roll(run: Run) -> None:
    """Create, then roll a model change: the hash lands in tags, status and rollout records."""
    await run.converge()
    run.set_spec(changed(run.spec, **{"sku.name": "Standard_D4s_v5"}))
    await run.converge()
    await run.world.finish_operations()


async def test_a_guessed_password_cannot_be_confirmed_from_what_a_reader_sees(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    guesses = wordlist(PASSWORD, 2000)

    legacy = password_run(world, LEGACY_FINGERPRINTS)
    await create_and_roll(legacy)
    seen_by_legacy = await readers_view(legacy, caplog)
    assert confirmed(guesses, legacy.spec, seen_by_legacy) == [PASSWORD], "the attack works on the legacy scheme"

    world.cloud.remove(legacy.key)
    caplog.clear()
    keyed = password_run(world, HashKey.generate())
    await create_and_roll(keyed)
    seen = await readers_view(keyed, caplog)
    assert keyed.status.modelHash and keyed.status.modelHash in seen and "hmac-sha256/" in seen
    assert keyed.status.lastRollouts, "a rollout's target is among what a reader sees"
    assert confirmed(guesses, keyed.spec, seen) == [], "a guess was confirmed from what a reader sees"


def assert_no_legacy_hash(run: Run, legacy_hash: str) -> None:
    raw = json.dumps(run.raw_status)
    assert legacy_hash not in raw, f"status still shows the legacy hash {legacy_hash}"


async def test_a_scale_set_with_legacy_hashes_is_re_tagged_once_without_touching_an_instance(world: World) -> None:
    old = password_run(world, LEGACY_FINGERPRINTS)
    await create_and_roll(old)  # a Completed ModelUpgrade, its target the legacy hash
    legacy_hash = old.status.modelHash
    assert legacy_hash is not None and old.status.lastRollouts[0].target == legacy_hash
    assert await tagged(old) == (legacy_hash, None)

    old.fingerprints = key = HashKey.generate()  # the upgraded operator starts with its key
    old.restart()
    calls, events = world.cloud.calls.marker(), len(old.events)
    busy: list[str] = []

    def instances_untouched(run: Run, _: PassResult | None) -> None:
        observed = run.world.cloud.snapshot(run.key)
        assert observed is not None and all(i.latest_model_applied for i in observed.instances)
        busy.extend(i.instance_id for i in observed.instances if i.provisioning_state != "Succeeded")

    await old.converge(check=instances_untouched)
    await world.finish_operations()

    writes = [c.kind for c in world.cloud.calls.since(calls, old.key) if c.write]
    assert writes == ["apply"], writes
    assert not busy, f"instances were touched: {busy}"
    keyed_hash = old.status.modelHash
    assert keyed_hash is not None and keyed_hash != legacy_hash
    assert await tagged(old) == (keyed_hash, key.scheme)
    assert old.status.lastRollouts[0].target == keyed_hash, "the rollout's target is the same model's"
    assert_no_legacy_hash(old, legacy_hash)
    reasons = [reason for _, reason, _ in old.events[events:] if reason != "Throttled"]  # the client budget
    assert reasons == ["HashSchemeUpgraded"], reasons

    marker = world.cloud.calls.marker()
    for _ in range(3):  # converged under the new scheme: nothing more to write
        world.clock.advance(300)
        await old.step()
    assert world.cloud.calls.writes_since(marker, old.key) == 0
