"""The installation's hash key Secret on a real API server (``kube.load_hash_key``): made once with
a random key, then read by every replica or shard (concurrent starts agree on one key); a malformed
one stops the operator with a message saying how to make a good one; RBAC refusals say so too."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator

import pytest

from scaleset_operator import kube
from scaleset_operator.localcp import ControlPlane, Kubectl

pytestmark = pytest.mark.controlplane


@pytest.fixture
def api(control_plane: ControlPlane) -> Iterator[None]:
    kube.load_config(str(control_plane.kubeconfig))
    yield


async def test_the_key_is_made_once_and_every_replica_reads_the_same(
    api: None, kubectl: Kubectl, namespace: str
) -> None:
    del api
    started = await asyncio.gather(*(kube.load_hash_key(namespace, "hash-key") for _ in range(4)))
    keys = {key.secret for key, _ in started}
    assert len(keys) == 1, "replicas starting together share one key"
    assert sum(created for _, created in started) == 1, "exactly one of them made it"
    again, created = await kube.load_hash_key(namespace, "hash-key")
    assert again.secret in keys and not created
    stored = kubectl.json("get", "secret", "hash-key", "-n", namespace)
    assert base64.b64decode(stored["data"][kube.HASH_KEY_DATA]) == again.secret
    assert stored["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "scaleset-operator"


async def test_a_malformed_key_stops_the_operator_with_how_to_fix_it(
    api: None, kubectl: Kubectl, namespace: str
) -> None:
    del api
    kubectl.ok("create", "secret", "generic", "short", "-n", namespace, "--from-literal=key=too-short")
    kubectl.ok("create", "secret", "generic", "other", "-n", namespace, "--from-literal=password=x")
    with pytest.raises(kube.HashKeyError, match="openssl rand -hex 32"):
        await kube.load_hash_key(namespace, "short")
    with pytest.raises(kube.HashKeyError, match="no data key 'key'"):
        await kube.load_hash_key(namespace, "other")


async def test_an_identity_that_may_not_read_it_is_told_so(
    api: None, kubeconfig_for: object, namespace: str, control_plane: ControlPlane
) -> None:
    del api
    nobody = kubeconfig_for("nobody")  # type: ignore[operator]
    kube.load_config(str(nobody))
    try:
        with pytest.raises(kube.HashKeyError, match=f"cannot read the hash key Secret {namespace}/hash-key: 403"):
            await kube.load_hash_key(namespace, "hash-key")
    finally:
        kube.load_config(str(control_plane.kubeconfig))
