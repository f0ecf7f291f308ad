"""Write kubeconfig files for the local control plane.

Credentials are embedded (``*-data`` fields) rather than referenced by path, so a kubeconfig stays
valid when copied, and a test can hand one to kubectl, the Python client or kopf without also
carrying the PEM files around.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import yaml

from scaleset_operator.pki import KeyPair

__all__ = ["write_kubeconfig"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def write_kubeconfig(
    path: Path,
    *,
    server: str,
    ca_pem: bytes,
    user: str,
    client: KeyPair | None = None,
    token: str | None = None,
    cluster_name: str = "scaleset-local",
    namespace: str | None = None,
) -> Path:
    """Write a single-context kubeconfig for ``server`` as ``user`` and return ``path``.

    Give exactly one credential: a client ``KeyPair`` (identity from its CN/O) or a bearer
    ``token`` (e.g. from TokenRequest). The file is mode 0600 because it holds a private key or a
    token; it is replaced atomically so a reader never sees half a file.
    """
    if (client is None) == (token is None):
        raise ValueError("give exactly one of client= or token=")
    credentials: dict[str, str]
    if client is not None:
        credentials = {
            "client-certificate-data": _b64(client.cert_pem),
            "client-key-data": _b64(client.key_pem),
        }
    else:
        assert token is not None
        credentials = {"token": token}
    context: dict[str, str] = {"cluster": cluster_name, "user": user}
    if namespace is not None:
        context["namespace"] = namespace
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster_name,
                "cluster": {"server": server, "certificate-authority-data": _b64(ca_pem)},
            }
        ],
        "users": [{"name": user, "user": credentials}],
        "contexts": [{"name": f"{user}@{cluster_name}", "context": context}],
        "current-context": f"{user}@{cluster_name}",
        "preferences": {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as stream:
        yaml.safe_dump(config, stream, sort_keys=False)
    tmp.replace(path)
    return path
