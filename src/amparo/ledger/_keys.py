"""Log signing keys on disk, and building a :class:`Ledger` from :class:`Settings`.

Key rotation: a checkpoint origin is tied to one key. To rotate, generate a key for a new
origin (e.g. ``example.org/amparo/2027``), publish its vkey, and point the settings at it;
the old log stays verifiable with the old vkey. Never reuse an origin with a new key:
auditors would (rightly) report it as a replaced signing key.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import Engine

from amparo.config import Settings
from amparo.errors import ConfigError
from amparo.ledger._ledger import Ledger
from amparo.ledger._note import ALG_ED25519, NoteError, Signer, generate_signer, parse_signer
from amparo.ledger._witness_client import WitnessPeer

__all__ = ["DEV_ORIGIN", "ledger_from_settings", "load_signer", "write_signer"]

log = logging.getLogger(__name__)

DEV_ORIGIN = "amparo.localhost/ledger"


def write_signer(path: Path, signer: Signer) -> None:
    """Write ``signer`` to a new file readable only by its owner; never overwrite a key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(
            f"{path} already exists", hint="keys are never overwritten; choose another path"
        ) from None
    with os.fdopen(fd, "w") as f:
        f.write(signer.skey + "\n")


def load_signer(path: Path) -> Signer:
    """Read a key file written by :func:`write_signer` (or Go's ``note`` format)."""
    try:
        return parse_signer(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read the key file {path}: {exc.strerror}") from None
    except NoteError as exc:
        raise ConfigError(f"key file {path}: {exc}") from None


def ledger_from_settings(settings: Settings, engine: Engine) -> Ledger:
    """The ledger configured by ``settings`` (dev: a key is generated when missing)."""
    origin = settings.ledger_origin
    if origin is None:
        if settings.env == "prod":
            raise ConfigError(
                "AMPARO_LEDGER_ORIGIN is not set in prod",
                hint="set it to the public URL prefix of the log without scheme, "
                "e.g. example.org/amparo",
            )
        origin = DEV_ORIGIN
    path = settings.ledger_key_file or settings.data_dir / "ledger.key"
    if not path.exists():
        if settings.env == "prod" or settings.ledger_key_file is not None:
            raise ConfigError(
                f"ledger signing key {path} does not exist",
                hint=f"create it with `amparo ledger keygen {origin} --out {path}`",
            )
        write_signer(path, generate_signer(origin, ALG_ED25519))
        log.warning("ledger: generated a development signing key at %s", path)
    signer = load_signer(path)
    if signer.name != origin or signer.alg != ALG_ED25519:
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
    )
