"""Domain values built from :class:`~amparo.config.Settings`, once, when the runtime opens.

Domain packages never see ``Settings`` (it reads the environment when built): they take the
plain values made here.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from pathlib import Path

from sqlalchemy import Engine

from amparo import actions, evidence, exchanges, ledger
from amparo.config import Settings
from amparo.errors import ConfigError
from amparo.exchanges import CredentialBox
from amparo.ledger import Ledger, WitnessPeer
from amparo.provenance import Classifier, ProvenanceOptions
from amparo.remote import UrlFetcher
from amparo.signals import Hasher
from amparo.store import WriterLock

__all__ = [
    "credential_box",
    "delivery_options",
    "evidence_vault",
    "hasher",
    "ledger_from_settings",
    "provenance_options",
    "signing_credentials",
    "url_fetcher",
]

log = logging.getLogger(__name__)

_KEY_HINT = "set AMPARO_SECRET_KEY to a Fernet key; `amparo keys secret` prints a new one"


def _read(path: Path, what: str, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the {what} {path}: {exc.strerror}",
            hint=f"fix AMPARO_{setting.upper()} or the file's permissions",
        ) from exc


def hasher(settings: Settings) -> Hasher:
    return Hasher(settings.media, settings.pdq_quality_threshold)


def url_fetcher(settings: Settings) -> UrlFetcher:
    return UrlFetcher(
        settings.media.max_bytes, settings.url_fetch_timeout, settings.unsafe_allow_private_urls
    )


def provenance_options(
    settings: Settings, classifiers: tuple[Classifier, ...] = ()
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


def credential_box(settings: Settings) -> CredentialBox:
    """The box for stored exchange credentials: the secret key, or in dev a generated key
    file in the data directory."""
    if settings.secret_key:
        return CredentialBox.from_secret(settings.secret_key)
    if settings.env == "prod":
        raise ConfigError(
            "AMPARO_SECRET_KEY is not set; exchange credentials cannot be stored in prod",
            hint=_KEY_HINT,
        )
    return CredentialBox([exchanges.dev_key(settings.data_path() / exchanges.SECRET_KEY_FILE)])


def ledger_from_settings(
    settings: Settings, engine: Engine, writer_lock: WriterLock | None = None
) -> Ledger:
    """The ledger configured by ``settings`` (dev: a key is generated when missing), its
    write transactions taken in turn with the scan writer's under ``writer_lock``."""
    origin = settings.ledger_origin
    if origin is None:
        if settings.env == "prod":
            raise ConfigError(
                "AMPARO_LEDGER_ORIGIN is not set in prod",
                hint="set it to the public URL prefix of the log without scheme, "
                "e.g. example.org/amparo",
            )
        origin = ledger.DEV_ORIGIN
    path = settings.ledger_key_file or settings.data_dir / "ledger.key"
    if not path.exists():
        if settings.env == "prod" or settings.ledger_key_file is not None:
            raise ConfigError(
                f"ledger signing key {path} does not exist",
                hint=f"create it with `amparo ledger keygen {origin} --out {path}`",
            )
        if settings.ledger_key_file is None:
            settings.data_path()  # the data directory, made 0700 like every time it is made
        ledger.write_signer(path, ledger.generate_signer(origin, ledger.ALG_ED25519))
        log.warning("ledger: generated a development signing key at %s", path)
    signer = ledger.load_signer(path)
    if signer.name != origin or signer.alg != ledger.ALG_ED25519:
        raise ConfigError(
            f"ledger key {path} is for {signer.name!r}, not the ledger origin {origin!r}",
            hint="generate a key for this origin with `amparo ledger keygen`",
        )
    witnesses = [WitnessPeer.parse(w) for w in settings.ledger_witnesses]
    return Ledger(
        engine,
        signer=signer,
        witnesses=witnesses,
        quorum=settings.ledger_witness_quorum,
        tally_seconds=settings.ledger_tally_seconds,
        writer_lock=writer_lock or nullcontext,
        round_lock=writer_lock.rounds if writer_lock else lambda: nullcontext(True),
    )


def evidence_vault(settings: Settings) -> evidence.Vault:
    """The evidence vault: its storage (a directory or fsspec URL) and key-encryption key
    (dev: generated in the data directory on first use when missing)."""
    storage: str | Path = settings.evidence_storage or settings.data_path() / "evidence"
    path = settings.evidence_key_file or settings.data_dir / "evidence.key"
    create = settings.evidence_key_file is None and settings.env != "prod"
    return evidence.Vault(
        evidence.open_store(storage, settings.evidence_storage_options),
        evidence.LocalKeyFile(path, create=create),
        retention_days=settings.evidence_retention_days,
    )


def delivery_options(settings: Settings) -> actions.DeliveryOptions:
    """How webhooks are delivered: the ``AMPARO_WEBHOOK_*`` settings as a plain value."""
    policy = actions.TargetPolicy(
        allow_http=settings.unsafe_webhook_http,
        networks=actions.parse_networks(settings.webhook_allowed_networks),
    )
    return actions.DeliveryOptions(
        timeout=settings.webhook_timeout,
        max_attempts=settings.webhook_max_attempts,
        backoff=actions.Backoff(
            settings.webhook_backoff_seconds, settings.webhook_backoff_max_seconds
        ),
        concurrency=settings.webhook_concurrency,
        policy=policy,
    )
