"""Settings, read once from the environment (``AMPARO_*``) and an optional TOML config file
when a command or app starts.

Never read at import time: build a :class:`Settings` and pass it down
(``create_app(settings)``, ``Amparo.open(settings)``). :func:`load_settings` reads the config
file (``--config FILE`` or ``AMPARO_CONFIG``): its keys are setting names (``data_dir``,
``database_url``...); environment variables win over it.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from amparo.errors import ConfigError

__all__ = [
    "CONFIG_ENV",
    "SERVE_GROUP_ENV",
    "MediaLimits",
    "Settings",
    "load_settings",
    "read_config_file",
]

log = logging.getLogger(__name__)

MIB = 1024 * 1024
CONFIG_ENV = "AMPARO_CONFIG"
SERVE_GROUP_ENV = "AMPARO_SERVE_GROUP"
"""``SIZE:FOLDER``: set by ``amparo serve --workers N`` (N > 1) for its workers, which report
there when their indexes are loaded (see ``amparo.api`` readiness)."""
"""The environment variable naming the config file (``amparo --config FILE`` wins over it)."""

# Schemes people write for PostgreSQL that SQLAlchemy would give another (absent) driver.
_PG_ALIASES = ("postgres://", "postgresql://")
_PG_URL = "postgresql+psycopg://"


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
        "index, and when it stops, so the next start reads them instead of the database; 0 "
        "turns this off.",
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="'json': one JSON object per log line (with the request id of HTTP "
        "requests), for log collectors. 'text': lines for people.",
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

    # evidence vault (amparo.evidence)
    evidence_storage: str | None = Field(
        None,
        description="Where the evidence vault keeps sealed (encrypted) items: a directory, or "
        "an fsspec URL such as s3://bucket/prefix (needs `pip install 'amparo[s3]'`). "
        "Default: 'evidence' in the data directory.",
    )
    evidence_storage_options: dict[str, Any] = Field(
        default_factory=dict,
        description="Options for an fsspec evidence storage, as JSON, e.g. "
        '{"client_kwargs": {"endpoint_url": "https://s3.example.org"}}.',
    )
    evidence_key_file: Path | None = Field(
        None,
        description="The vault's key-encryption key (from `amparo evidence keygen`), which "
        "wraps every item's data key. Default: evidence.key in the data directory, generated "
        "there in dev when missing; required in prod. Back it up: without it evidence is lost.",
    )
    evidence_retention_days: int = Field(
        365,
        ge=1,
        le=36600,
        description="Days an item is kept unless policy says otherwise (default one year: "
        "18 U.S.C. 2258A(h)); legal holds keep items longer.",
    )
    evidence_purge_seconds: float = Field(
        3600.0,
        gt=0,
        description="How often a server purges evidence whose retention ended and that no "
        "legal hold keeps.",
    )

    # review console (issue 10): claims, exposure and breaks of the people who review media
    review_claim_seconds: int = Field(
        900, gt=0, le=86_400, description="How long a reviewer's claim on an item lasts."
    )
    review_shift_hours: float = Field(
        8.0, gt=0, le=24, description="The shift over which a reviewer's reveals are counted."
    )
    review_max_reveals_per_shift: int = Field(
        30, ge=0, description="Most unblurred views one reviewer may open per shift."
    )
    review_break_after_items: int = Field(
        25, gt=0, description="Decisions in the console after which a break is enforced."
    )
    review_break_after_minutes: float = Field(
        50.0, gt=0, description="Minutes of console work after which a break is enforced."
    )
    review_break_minutes: float = Field(
        10.0, ge=0, description="Length of an enforced break, in minutes."
    )
    review_allow_list_bank: str = Field(
        "LOCAL_ALLOW_LIST",
        description="Bank that a false positive's hashes go to when the reviewer chooses "
        "the allow-list (created when first needed).",
    )
    review_session_hours: float = Field(
        8.0, gt=0, le=24, description="How long a console login lasts."
    )
    review_max_failed_logins: int = Field(
        5, gt=0, description="Failed console logins in a row before the account locks."
    )
    review_lockout_seconds: int = Field(
        60,
        gt=0,
        description="First lockout after too many failed logins; doubles with each further "
        "failure (at most a day).",
    )

    # accountability: notices to platforms and takedown monitoring
    accountability_notice_hours: float = Field(
        24.0,
        gt=0,
        description="Hours between notices about an item until it is removed (re-notify).",
    )
    accountability_escalate_after: int = Field(
        3,
        ge=1,
        description="After this many notices about one item, each further notice also goes "
        "to the platform's legal contact.",
    )
    accountability_check_seconds: float = Field(
        3600.0, gt=0, description="Seconds between takedown checks of a noticed URL."
    )
    accountability_check_max_backoff_seconds: float = Field(
        86400.0,
        gt=0,
        description="Longest wait before re-checking a URL whose checks keep failing "
        "(the wait doubles with each failure up to this).",
    )
    accountability_check_jitter: float = Field(
        0.1,
        ge=0,
        le=0.5,
        description="Random spread of check times, as a share of the interval (0.1: +-10%).",
    )
    accountability_host_interval_seconds: float = Field(
        1.0,
        ge=0,
        description="Least time between two takedown checks to one host (per server process).",
    )
    accountability_check_batch: int = Field(
        50,
        ge=1,
        le=10_000,
        description="Most items one notice round, and one takedown round, takes on.",
    )
    accountability_worker_seconds: float = Field(
        60.0,
        gt=0,
        description="How often a server looks for notices and takedown checks that are due.",
    )
    accountability_pdq_threshold: int = Field(
        31,
        ge=0,
        le=256,
        description="PDQ distance up to which served content or a scan counts as the "
        "noticed item (takedown checks and re-uploads).",
    )
    accountability_notifier_name: str = Field(
        "Amparo",
        description="Who notices come from (DSA Art. 16: the notifier's name).",
    )
    accountability_notifier_email: str | None = Field(
        None, description="The notifier's e-mail address: notices' From and reply address."
    )
    accountability_smtp_host: str | None = Field(
        None, description="SMTP server for e-mail notices (always with STARTTLS)."
    )
    accountability_smtp_port: int = Field(587, ge=1, le=65535, description="Its port.")
    accountability_smtp_username: str | None = Field(None, description="SMTP login, if any.")
    accountability_smtp_password: str | None = Field(None, description="SMTP password.")
    accountability_smtp_ca_file: Path | None = Field(
        None,
        description="PEM roots the SMTP server's certificate is checked against "
        "(default: the system's).",
    )
    accountability_smtp_timeout: float = Field(
        30.0, gt=0, description="Seconds each step of delivering an e-mail notice may take."
    )

    # actions: the outbox and its webhook deliveries (amparo.actions)
    webhook_timeout: float = Field(
        10.0,
        gt=0,
        description="Seconds one webhook delivery may take in total: resolving, connecting, "
        "TLS, sending and the receiver's answer.",
    )
    webhook_max_attempts: int = Field(
        10,
        ge=1,
        le=1000,
        description="Deliveries tried per action before it goes to the dead letter "
        "(`amparo actions retry` sends it again).",
    )
    webhook_backoff_seconds: float = Field(
        10.0,
        gt=0,
        description="Longest wait before the first retry; each later retry may wait twice as "
        "long as the one before (full jitter: a random time up to that).",
    )
    webhook_backoff_max_seconds: float = Field(
        3600.0, gt=0, description="Longest wait between two tries of one delivery."
    )
    webhook_poll_seconds: float = Field(
        1.0,
        gt=0,
        description="How often a server looks for due deliveries (it also looks right after "
        "its own commits that queue one).",
    )
    webhook_concurrency: int = Field(
        8, ge=1, le=256, description="Deliveries a server process sends at once."
    )
    webhook_allowed_networks: list[str] = Field(
        default_factory=list,
        description="Private networks (CIDR, e.g. '10.20.0.0/16') webhook endpoints may "
        "resolve to, for receivers inside your own network. Public addresses are always "
        "allowed; loopback and private ones only when listed here.",
    )
    unsafe_webhook_http: bool = Field(
        False,
        description="Allow plain http:// webhook endpoints (payloads travel unencrypted; "
        "signatures still hold). Only for tests and labs.",
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
        """The SQLAlchemy URL to connect to: ``database_url`` (``postgres://`` and a bare
        ``postgresql://`` read as ``postgresql+psycopg://``, the driver Amparo ships), else
        SQLite in the data directory."""
        if self.database_url:
            for alias in _PG_ALIASES:
                if self.database_url.startswith(alias):
                    return _PG_URL + self.database_url.removeprefix(alias)
            return self.database_url
        return f"sqlite:///{self.data_dir / 'amparo.db'}"

    def check(self) -> None:
        """Refuse settings that are unsafe for the chosen environment; log a note for a
        database URL read with another scheme."""
        if self.database_url and self.database_url.startswith(_PG_ALIASES):
            scheme = self.database_url.split("://", 1)[0]
            log.warning(
                "AMPARO_DATABASE_URL: read %s:// as postgresql+psycopg:// (write that to "
                "silence this note)",
                scheme,
            )
        if self.unsafe_allow_private_urls:
            log.warning("unsafe_allow_private_urls is on: private and loopback URLs are fetched")
        if self.env == "prod" and not self.secret_key:
            raise ConfigError(
                "AMPARO_SECRET_KEY is not set in prod",
                hint="generate one with `amparo keys secret` and set AMPARO_SECRET_KEY",
            )
        if self.unsafe_webhook_http:
            log.warning("unsafe_webhook_http is on: webhooks may be sent over plain http://")
        if self.webhook_backoff_max_seconds < self.webhook_backoff_seconds:
            raise ConfigError(
                "AMPARO_WEBHOOK_BACKOFF_MAX_SECONDS is below AMPARO_WEBHOOK_BACKOFF_SECONDS",
                hint="the longest wait must be at least the first one",
            )
        if self.env == "prod" and self.unsafe_webhook_http:
            raise ConfigError(
                "unsafe_webhook_http is on in prod",
                hint="give webhook endpoints https:// URLs and unset AMPARO_UNSAFE_WEBHOOK_HTTP",
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


def read_config_file(path: Path) -> dict[str, Any]:
    """The settings a TOML config file gives, by setting name.

    Every key must be a setting name (as in the README's table, without ``AMPARO_``, lower
    case); an unknown key, a table, or a file that is missing or not TOML is a
    :class:`ConfigError` naming it. Relative paths in path settings are relative to the
    file's folder, so a config file and the keys it names can move together.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read the config file {path}: {exc.strerror or exc}",
            hint=f"check the path given to --config or {CONFIG_ENV}",
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {exc}", hint="see https://toml.io for the syntax"
        ) from None
    tables = [key for key, value in data.items() if isinstance(value, dict)]
    if tables:
        raise ConfigError(
            f"{path}: {tables[0]!r} is a table; settings are plain keys",
            hint="write the settings at the top of the file, outside any [section]",
        )
    fields = Settings.model_fields
    unknown = [key for key in data if key not in fields]
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(repr(k) for k in unknown)}",
            hint="keys are setting names such as data_dir or database_url (the README's "
            "AMPARO_* table, lower case, without AMPARO_)",
        )
    return {key: _relative_to(path.parent, key, value) for key, value in data.items()}


def _relative_to(folder: Path, key: str, value: Any) -> Any:
    annotation = str(Settings.model_fields[key].annotation)
    if "Path" not in annotation:
        return value
    if isinstance(value, str):
        return folder / Path(value).expanduser()
    if isinstance(value, list):
        return [folder / Path(v).expanduser() if isinstance(v, str) else v for v in value]
    return value


def load_settings(
    config_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from the environment over the config file (``config_file``, else the file
    ``AMPARO_CONFIG`` names, else none). A bad value is a :class:`ConfigError` naming the
    variable or the file's key."""
    env = os.environ if environ is None else environ
    path = config_file or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else None)
    from_file = read_config_file(path) if path is not None else {}
    set_in_env = {name.upper() for name in env}
    values = {k: v for k, v in from_file.items() if f"AMPARO_{k.upper()}" not in set_in_env}
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(_where(e["loc"], values, path) + f": {e['msg']}" for e in exc.errors())
        raise ConfigError(
            f"invalid settings: {problems}",
            hint="fix or unset those environment variables or config file keys",
        ) from None


def _where(loc: tuple[int | str, ...], from_file: Mapping[str, Any], path: Path | None) -> str:
    name = str(loc[0]) if loc else ""
    if name in from_file:
        return f"{path}: {name}"
    return f"AMPARO_{'_'.join(str(p) for p in loc).upper()}"
