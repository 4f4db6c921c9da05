"""Settings, read once from the environment (``AMPARO_*``) when a command or app starts.

Never read at import time: build a :class:`Settings` and pass it down
(``create_app(settings)``, ``Amparo.open(settings)``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from amparo.errors import ConfigError

__all__ = ["MediaLimits", "Settings", "load_settings"]

log = logging.getLogger(__name__)

MIB = 1024 * 1024


@dataclass(frozen=True)
class MediaLimits:
    """Limits applied before and while decoding media (decompression-bomb guards).

    A plain value: :class:`Settings` builds it from ``AMPARO_MEDIA_*``; the media package
    takes it as it is and never reads the environment.
    """

    max_bytes: int = 100 * MIB
    max_pixels: int = 200_000_000
    max_side: int = 30_000

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_pixels", "max_side"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"MediaLimits.{name} must be a positive integer, not {value!r}")


class Settings(BaseSettings):
    """Everything Amparo can be configured with. Environment variables use ``AMPARO_``."""

    model_config = SettingsConfigDict(env_prefix="AMPARO_", extra="ignore")

    env: Literal["dev", "prod"] = Field(
        "dev", description="'prod' refuses insecure defaults (e.g. a generated secret key)."
    )
    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("amparo", appauthor=False)),
        description="Where the embedded SQLite database and the local secret live.",
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL, e.g. postgresql+psycopg://host/db. Default: SQLite."
    )
    secret_key: str | None = Field(
        None,
        description="Key that encrypts stored exchange credentials (a Fernet key). "
        "In dev a key is generated into the data directory when missing.",
    )
    media_max_bytes: int = Field(
        MediaLimits.max_bytes, gt=0, description="Largest accepted file, in bytes."
    )
    media_max_pixels: int = Field(
        MediaLimits.max_pixels, gt=0, description="Largest accepted image, in decoded pixels."
    )
    media_max_side: int = Field(
        MediaLimits.max_side, gt=0, description="Largest accepted width or height, in pixels."
    )
    pdq_quality_threshold: int = Field(
        50, ge=0, le=100, description="PDQ hashes below this quality are not matched by default."
    )
    url_fetch_timeout: float = Field(10.0, gt=0, description="Seconds for fetching a URL.")
    unsafe_allow_private_urls: bool = Field(
        False,
        description="Allow fetching loopback/private addresses. Only for tests and labs.",
    )
    index_refresh_seconds: float = Field(
        0.5, gt=0, description="How often a server polls the database for bank changes."
    )
    index_snapshot_seconds: float = Field(
        600.0,
        ge=0,
        description="How often a server saves its indexes (when they changed) to <data dir>/"
        "index, so the next start reads them instead of the database; 0 turns this off.",
    )

    # ledger
    ledger_origin: str | None = Field(
        None,
        description="The log's name: checkpoint origin line and signing key name, e.g. "
        "'example.org/amparo'. Default in dev: 'amparo.localhost/ledger'; required in prod.",
    )
    ledger_key_file: Path | None = Field(
        None,
        description="The log's signing key (from `amparo ledger keygen`). Default: ledger.key "
        "in the data directory, generated there in dev when missing; required in prod.",
    )
    ledger_checkpoint_seconds: float = Field(
        5.0, gt=0, description="How often a server integrates new entries and signs a checkpoint."
    )
    ledger_tally_seconds: float = Field(
        3600.0, gt=0, description="How long each scan.tally entry counts scans for."
    )
    ledger_witnesses: list[str] = Field(
        default_factory=list,
        description="Witnesses that cosign checkpoints, each '<url> <vkey>'.",
    )
    ledger_witness_quorum: int | None = Field(
        None,
        ge=0,
        description="Cosignatures a checkpoint needs before it is published. "
        "Default: every configured witness.",
    )
    ledger_audit_dir: Path | None = Field(
        None,
        description="Where `amparo ledger verify --url` remembers the last checkpoint of each "
        "log. Default: ledger-audit in the data directory.",
    )

    # provenance
    provenance_trust_anchors: list[Path] = Field(
        default_factory=list,
        description="PEM files of root certificates whose C2PA signers count as valid "
        "(e.g. your AI providers' CAs). Without any, signed manifests read as 'untrusted'.",
    )
    provenance_signing_cert: Path | None = Field(
        None,
        description="PEM certificate chain (leaf first) that POST /v1/stamp signs C2PA "
        "manifests with. Unset: the stamp route is refused.",
    )
    provenance_signing_key: Path | None = Field(
        None, description="PEM private key of provenance_signing_cert."
    )

    @property
    def media(self) -> MediaLimits:
        """The media limits as the plain value the media package takes."""
        return MediaLimits(self.media_max_bytes, self.media_max_pixels, self.media_max_side)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'amparo.db'}"

    def check(self) -> None:
        """Refuse settings that are unsafe for the chosen environment."""
        if self.unsafe_allow_private_urls:
            log.warning("unsafe_allow_private_urls is on: private and loopback URLs are fetched")
        if self.env == "prod" and not self.secret_key:
            raise ConfigError(
                "AMPARO_SECRET_KEY is not set in prod",
                hint="generate one with `amparo keys secret` and set AMPARO_SECRET_KEY",
            )
        if self.env == "prod" and self.unsafe_allow_private_urls:
            raise ConfigError(
                "unsafe_allow_private_urls is on in prod",
                hint="unset AMPARO_UNSAFE_ALLOW_PRIVATE_URLS",
            )

    def data_path(self) -> Path:
        """The data directory, created readable by its owner only (0700) when missing: it
        holds the database (scan records, stored prompts), keys and secrets. One that exists
        is not changed (it may be a folder the operator shares on purpose), but a warning
        says when others can read it."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.data_dir.stat().st_mode & 0o077:
            log.warning("%s is open to other users; chmod 700 it", self.data_dir)
        return self.data_dir


def load_settings() -> Settings:
    """Settings from the environment; a bad value is a :class:`ConfigError` naming it."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"AMPARO_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(
            f"invalid settings: {problems}", hint="fix or unset those environment variables"
        ) from None
