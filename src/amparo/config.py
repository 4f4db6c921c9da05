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

    Why these defaults (what real uploads need, and what one decode may cost):

    * ``max_bytes`` 100 MiB: the largest phone photos (200 MP sensors' 16,320 x 12,240 JPEGs)
      are tens of MB, screenshots and scans as PNG rarely pass 50 MB; the upload is held in
      memory while it is hashed, so this is also part of a scan's memory.
    * ``max_pixels`` 200,000,000 and ``max_side`` 30,000: a 200 MP phone photo is 199.75 MP;
      medium-format cameras make 100-150 MP (11,648 x 8,736; 14,204 x 10,652); phone
      panoramas stay well under 30,000 pixels long. Above that, uploads are bombs or
      exports nobody needs hashed at that size. The side limit also bounds a decoder's row
      buffers.
    * ``max_decode_memory`` 512 MiB: what one decode may allocate for pixels, estimated from
      the header before anything is decoded. Reduced decodes (JPEG DCT scaling, PNG decoded
      in bands) stay far below it at any size; formats that can only be decoded whole (GIF,
      WebP, TIFF, interlaced PNG) are refused beyond it, as is hashing every pixel
      (``fast=False``) of an image over ~30 MP. With the interpreter, the libraries and a
      100 MiB upload, one scan stays under 1 GB (``bench/bench_hostile_media.py``).
    * ``decode_timeout`` 30 s: how long a decode may wait for one of the process's decode
      slots (as many as CPUs) and then run, in total. Decoding work within the limits above
      takes under 5 s of CPU, so waiting beyond this means the server is overloaded.
    """

    max_bytes: int = 100 * MIB
    max_pixels: int = 200_000_000
    max_side: int = 30_000
    max_decode_memory: int = 512 * MIB
    decode_timeout: float = 30.0

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_pixels", "max_side", "max_decode_memory"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"MediaLimits.{name} must be a positive integer, not {value!r}")
        timeout = self.decode_timeout
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
            raise ValueError(
                f"MediaLimits.decode_timeout must be a positive number, not {timeout!r}"
            )


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
    media_max_decode_memory: int = Field(
        MediaLimits.max_decode_memory,
        gt=0,
        description="Most memory one decode may use for pixels, in bytes (estimated from the "
        "header before decoding).",
    )
    media_decode_timeout: float = Field(
        MediaLimits.decode_timeout,
        gt=0,
        description="Seconds a decode may take, waiting for a decode slot included.",
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
        return MediaLimits(
            self.media_max_bytes,
            self.media_max_pixels,
            self.media_max_side,
            self.media_max_decode_memory,
            self.media_decode_timeout,
        )

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
        self.data_dir.mkdir(parents=True, exist_ok=True)
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
