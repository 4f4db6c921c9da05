"""Throwaway signing credentials for trying stamping: a root CA and a provider certificate.

For demos, tests and a provider's first trial of ``amparo stamp``. Production stamping uses a
certificate from a CA that C2PA readers trust (and that the provider protects); never ship the
key made here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["Credentials", "make_credentials"]


@dataclass(frozen=True)
class Credentials:
    chain_pem: bytes  # provider certificate, then the root
    key_pem: bytes  # the provider's private key (PKCS#8)
    root_pem: bytes  # the trust anchor readers configure
    not_after: float  # when the provider certificate expires (Unix time)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Amparo trial credentials"),
        ]
    )


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_credentials(
    *,
    key_type: Literal["ed25519", "es256"] = "es256",
    days_valid: tuple[int, int] = (-1, 30),
    seconds_after: int = 0,
    common_name: str = "Example AI Provider",
) -> Credentials:
    """A fresh root CA and a provider certificate that C2PA accepts.

    The provider certificate has the ``digitalSignature`` key usage, the emailProtection
    extended key usage and subject/authority key identifiers, as C2PA's trust model asks.
    ``days_valid`` is (not before, not after) in days from now.
    """
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    not_after = now + datetime.timedelta(days=days_valid[1], seconds=seconds_after)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Amparo Trial Root CA"))
        .issuer_name(_name("Amparo Trial Root CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=400))
        .not_valid_after(now + datetime.timedelta(days=400))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey = (
        ed25519.Ed25519PrivateKey.generate()
        if key_type == "ed25519"
        else ec.generate_private_key(ec.SECP256R1())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + datetime.timedelta(days=days_valid[0]))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return Credentials(
        chain_pem=_pem(leaf) + _pem(ca),
        key_pem=key_pem,
        root_pem=_pem(ca),
        not_after=not_after.timestamp(),
    )
