"""TLS for the simulator's HTTPS endpoint: a test CA and a server certificate, from ``pki``.

azure-core refuses to send a bearer token over plain HTTP, so the endpoint must speak TLS, and the
client must trust it without switching verification off: the CA certificate is written to the
state directory and handed to the SDK as its CA bundle (``connection_verify=ca.pem``). The server
certificate names ``localhost``, ``127.0.0.1`` and ``::1`` (plus any extra names); both are
regenerated at every start.
"""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from scaleset_operator.pki import CertificateAuthority


@dataclass(frozen=True)
class ServerPki:
    ca_path: Path
    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def generate_pki(state_dir: Path, names: list[str] | None = None) -> ServerPki:
    """A new CA and server certificate in ``state_dir`` (``ca.pem``, ``server.pem``, ``server-key.pem``)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    extra = list(names or [])
    ca = CertificateAuthority.generate("scaleset-operator simulator test CA")
    served = ca.issue_serving_cert(
        hosts=["localhost", *(n for n in extra if not _is_ip(n))],
        ips=["127.0.0.1", "::1", *(n for n in extra if _is_ip(n))],
        common_name="localhost",
    )
    pki = ServerPki(state_dir / "ca.pem", state_dir / "server.pem", state_dir / "server-key.pem")
    pki.ca_path.write_bytes(ca.cert_pem)
    pki.cert_path.write_bytes(served.cert_pem)
    pki.key_path.touch(mode=0o600)
    pki.key_path.chmod(0o600)
    pki.key_path.write_bytes(served.key_pem)
    return pki
