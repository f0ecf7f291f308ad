"""A throwaway PKI: a CA, serving certificates and client certificates, for loopback servers.

Used by the local control plane (the API server's serving cert, client certs for identities) and by
the simulator's ARM-compatible HTTPS endpoint (azure-core sends bearer tokens only over TLS).

Why client certificates: they are the one authentication method kube-apiserver supports with no
extra component (no token file, no OIDC issuer), and the certificate's CN and O fields *are* the
user name and groups RBAC sees. So minting a cert for ``("alice", ["team-a"])`` is all a test
needs to act as a limited identity, and the admin is simply a cert in ``system:masters``.

Keys are ECDSA P-256: generating one takes well under a millisecond, where RSA-2048 takes tens,
and every certificate here is generated on each start. The service-account signing key is the
exception (see :func:`generate_service_account_key`).
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "ADMIN_GROUPS",
    "ADMIN_USER",
    "CertificateAuthority",
    "KeyPair",
    "generate_service_account_key",
]

ADMIN_USER = "scaleset-admin"
ADMIN_GROUPS: tuple[str, ...] = ("system:masters",)

# Long enough for a `local up` cluster left running for weeks, short enough to be obviously local.
_VALIDITY = datetime.timedelta(days=365)
# Clock skew between cert generation and the API server reading it is zero here, but a little
# back-dating avoids "not yet valid" on machines whose clock steps (VM resume, NTP).
_BACKDATE = datetime.timedelta(minutes=5)


def _key_usage(*, signs_certificates: bool) -> x509.KeyUsage:
    """Digital signatures for every certificate; certificate and CRL signing for the CA only."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def _private_key_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class KeyPair:
    """A PEM certificate and its PEM private key."""

    cert_pem: bytes
    key_pem: bytes

    def write(self, directory: Path, name: str) -> tuple[Path, Path]:
        """Write ``name.crt`` and ``name.key`` (mode 0600) into ``directory``; return both paths."""
        directory.mkdir(parents=True, exist_ok=True)
        cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
        cert_path.write_bytes(self.cert_pem)
        key_path.touch(mode=0o600)
        key_path.write_bytes(self.key_pem)
        return cert_path, key_path


class CertificateAuthority:
    """A self-signed CA that signs the serving cert and every client identity of one control plane.

    Serving and client certs share the CA because nothing here needs them separated, and a single
    ``ca.crt`` keeps kubeconfigs and ``--client-ca-file`` simple.
    """

    def __init__(self, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> None:
        self._key = key
        self._cert = cert

    @classmethod
    def generate(cls, common_name: str = "scaleset-local-ca") -> CertificateAuthority:
        """Create a new CA with a fresh key."""
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                _key_usage(signs_certificates=True),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    @classmethod
    def load(cls, cert_pem: bytes, key_pem: bytes) -> CertificateAuthority:
        """Reload a CA written by :meth:`as_key_pair` (``local up`` keeps it to mint identities later)."""
        key = serialization.load_pem_private_key(key_pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError("the CA key is not an ECDSA key written by this module")
        return cls(key, x509.load_pem_x509_certificate(cert_pem))

    @property
    def cert_pem(self) -> bytes:
        return self._cert.public_bytes(serialization.Encoding.PEM)

    def as_key_pair(self) -> KeyPair:
        return KeyPair(self.cert_pem, _private_key_pem(self._key))

    def _issue(
        self,
        subject: x509.Name,
        usage: x509.ObjectIdentifier,
        sans: Sequence[x509.GeneralName] = (),
    ) -> KeyPair:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self._cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                _key_usage(signs_certificates=False),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()), critical=False)
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
        cert = builder.sign(self._key, hashes.SHA256())
        return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _private_key_pem(key))

    def issue_serving_cert(
        self,
        hosts: Iterable[str] = ("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"),
        ips: Iterable[str] = ("127.0.0.1", "::1"),
        common_name: str = "kube-apiserver",
    ) -> KeyPair:
        """A TLS server cert valid for the loopback names and addresses clients will dial.

        ``kubernetes.default.svc`` is included so in-cluster style configs that rewrite the host
        still verify; the service cluster IP is not, as nothing routes to it locally.
        """
        sans: list[x509.GeneralName] = [x509.DNSName(h) for h in hosts]
        sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        return self._issue(subject, ExtendedKeyUsageOID.SERVER_AUTH, sans)

    def issue_client_cert(self, user: str, groups: Sequence[str] = ()) -> KeyPair:
        """A client cert the API server authenticates as ``user`` in ``groups`` (CN and O fields)."""
        attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, group) for group in groups]
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, user))
        return self._issue(x509.Name(attributes), ExtendedKeyUsageOID.CLIENT_AUTH)


def generate_service_account_key() -> bytes:
    """An RSA-2048 private key (PEM) for signing service-account tokens.

    RSA rather than ECDSA because RS256 is what every token consumer (client libraries, OIDC
    verifiers) supports; it is generated once per start, so its cost (~50 ms) is acceptable.
    The API server derives the public half for verification from the same file.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return _private_key_pem(key)
