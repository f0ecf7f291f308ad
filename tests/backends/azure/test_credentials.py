"""Credential selection by configuration: DefaultAzureCredential unless told otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from azure.identity.aio import (
    CertificateCredential,
    ClientSecretCredential,
    DefaultAzureCredential,
    ManagedIdentityCredential,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from scaleset_operator.backends.azure.credentials import CredentialConfig, StaticTokenCredential, build_credential

SP = {"AZURE_TENANT_ID": "tenant", "AZURE_CLIENT_ID": "client"}


def client_certificate(directory: Path) -> Path:
    """A self-signed RSA client certificate with its key, as a service principal would have."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "scaleset-operator")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    path = directory / "client.pem"
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        + cert.public_bytes(serialization.Encoding.PEM)
    )
    return path


def test_default_is_default_azure_credential() -> None:
    config = CredentialConfig.from_env({})
    assert config.kind == "default" and config.problems() == []


@pytest.mark.parametrize(
    ("env", "kind", "expected"),
    [
        ({}, None, DefaultAzureCredential),
        ({**SP, "AZURE_CLIENT_SECRET": "s3cret"}, "secret", ClientSecretCredential),
        ({**SP, "AZURE_CLIENT_CERTIFICATE_PATH": "/etc/azure/cert.pem"}, "certificate", CertificateCredential),
        ({"AZURE_CLIENT_ID": "user-assigned"}, "managed-identity", ManagedIdentityCredential),
        ({"SCALESET_AZURE_TOKEN": "anything"}, "static", StaticTokenCredential),
        ({"SCALESET_AZURE_CREDENTIAL": "static", "SCALESET_AZURE_TOKEN": "t"}, None, StaticTokenCredential),
    ],
)
async def test_each_kind_builds_its_credential(
    env: dict[str, str], kind: str | None, expected: type, tmp_path: Path
) -> None:
    if "AZURE_CLIENT_CERTIFICATE_PATH" in env:  # CertificateCredential reads the file when built
        env = {**env, "AZURE_CLIENT_CERTIFICATE_PATH": str(client_certificate(tmp_path))}
    credential = build_credential(CredentialConfig.from_env(env, kind=kind))
    try:
        assert isinstance(credential, expected)
    finally:
        await credential.close()


def test_missing_settings_are_named() -> None:
    with pytest.raises(ValueError, match="AZURE_CLIENT_SECRET"):
        build_credential(CredentialConfig.from_env(SP, kind="secret"))
    with pytest.raises(ValueError, match="AZURE_TENANT_ID"):
        build_credential(CredentialConfig.from_env({}, kind="certificate"))
    with pytest.raises(ValueError, match="unknown Azure credential 'password'"):
        CredentialConfig.from_env({}, kind="password")


def test_secrets_stay_out_of_repr() -> None:
    config = CredentialConfig.from_env({**SP, "AZURE_CLIENT_SECRET": "s3cret", "SCALESET_AZURE_TOKEN": "tok3n"})
    assert "s3cret" not in repr(config) and "tok3n" not in repr(config)
    assert "tok3n" not in repr(StaticTokenCredential("tok3n"))


async def test_the_static_token_is_served_as_is() -> None:
    credential = StaticTokenCredential("tok3n")
    token = await credential.get_token("https://management.azure.com/.default")
    info = await credential.get_token_info("https://management.azure.com/.default")
    assert token.token == info.token == "tok3n"
