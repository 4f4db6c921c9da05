"""Build provenance inputs from :class:`~amparo.config.Settings` (read files once, late)."""

from __future__ import annotations

from pathlib import Path

from amparo.config import Settings
from amparo.errors import ConfigError
from amparo.provenance._base import Classifier, ProvenanceOptions

__all__ = ["options_from_settings", "signing_credentials"]


def _read(path: Path, what: str, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the {what} {path}: {exc.strerror}",
            hint=f"fix AMPARO_{setting.upper()} or the file's permissions",
        ) from exc


def options_from_settings(
    settings: Settings, *, classifiers: tuple[Classifier, ...] = ()
) -> ProvenanceOptions:
    """:class:`ProvenanceOptions` with the configured trust anchors (read now)."""
    anchors = tuple(
        _read(path, "trust anchor file", "provenance_trust_anchors")
        for path in settings.provenance_trust_anchors
    )
    for path, pem in zip(settings.provenance_trust_anchors, anchors, strict=True):
        if b"-----BEGIN CERTIFICATE-----" not in pem:
            raise ConfigError(
                f"trust anchor file {path} holds no PEM certificate",
                hint="list PEM files of root CA certificates in AMPARO_PROVENANCE_TRUST_ANCHORS",
            )
    return ProvenanceOptions(trust_anchors=anchors, classifiers=classifiers)


def signing_credentials(settings: Settings) -> tuple[bytes, bytes]:
    """The configured (certificate chain PEM, private key PEM) for stamping."""
    cert, key = settings.provenance_signing_cert, settings.provenance_signing_key
    if cert is None or key is None:
        raise ConfigError(
            "stamping is not configured on this server",
            hint="set AMPARO_PROVENANCE_SIGNING_CERT and AMPARO_PROVENANCE_SIGNING_KEY",
        )
    return (
        _read(cert, "signing certificate", "provenance_signing_cert"),
        _read(key, "signing key", "provenance_signing_key"),
    )
