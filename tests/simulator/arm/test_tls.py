"""The throwaway PKI: a CA the client trusts and a server certificate for loopback names."""

from __future__ import annotations

import ipaddress
import ssl
import stat
from pathlib import Path

from cryptography import x509

from scaleset_operator.simulator.arm.tls import generate_pki


def test_the_ca_signs_a_server_certificate_for_loopback(tmp_path: Path) -> None:
    pki = generate_pki(tmp_path / "state", names=["arm.local"])
    cert = x509.load_pem_x509_certificate(pki.cert_path.read_bytes())
    ca = x509.load_pem_x509_certificate(pki.ca_path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

    assert set(san.get_values_for_type(x509.DNSName)) == {"localhost", "arm.local"}
    assert set(san.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    assert cert.issuer == ca.subject
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert stat.S_IMODE(pki.key_path.stat().st_mode) == 0o600
    ssl.create_default_context(cafile=pki.ca_path)  # a usable CA bundle
    pki.server_context()  # and a usable server key pair
