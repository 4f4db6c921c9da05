"""The log's side of C2SP tlog-witness: ask witnesses to cosign a new checkpoint."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from amparo.errors import ConfigError, FetchError, LedgerVerificationError
from amparo.ledger._note import (
    ALG_COSIGNATURE_V1,
    NoteError,
    Verifier,
    open_note,
    parse_vkey,
    split_note,
)

__all__ = ["WitnessPeer", "add_checkpoint_body", "request_cosignature"]


@dataclass(frozen=True)
class WitnessPeer:
    """A witness: its submission URL prefix and its cosignature verifier key."""

    url: str
    key: Verifier

    @classmethod
    def parse(cls, spec: str) -> WitnessPeer:
        """Parse ``"<url> <vkey>"`` (as in the ``ledger_witnesses`` setting)."""
        url, _, vkey = spec.strip().partition(" ")
        try:
            key = parse_vkey(vkey)
        except NoteError as exc:
            raise ConfigError(f"witness {url!r}: {exc}", hint="use '<url> <vkey>'") from None
        if not url.startswith(("http://", "https://")) or key.alg != ALG_COSIGNATURE_V1:
            raise ConfigError(
                f"witness setting {spec!r} is not '<http(s) url> <cosignature vkey>'",
                hint="the vkey comes from `amparo ledger keygen --witness`",
            )
        return cls(url.rstrip("/"), key)


def add_checkpoint_body(old: int, proof: Sequence[bytes], note: str) -> str:
    """The request body of ``add-checkpoint``."""
    lines = [f"old {old}\n", *(base64.b64encode(h).decode() + "\n" for h in proof), "\n"]
    return "".join(lines) + note


def request_cosignature(
    client: httpx.Client,
    peer: WitnessPeer,
    note: str,
    old: int,
    proof_from: Callable[[int], list[bytes]],
    size: int,
) -> str:
    """Get ``peer``'s cosignature line for ``note`` (a checkpoint of ``size`` leaves).

    Starts from ``old`` (the size the witness last cosigned, as far as the log knows); when
    the witness answers 409 with its own size, retries once from that size.
    """
    text = note[: note.rfind("\n\n") + 1]
    for _attempt in range(2):
        body = add_checkpoint_body(old, proof_from(old), note)
        try:
            resp = client.post(f"{peer.url}/add-checkpoint", content=body.encode())
        except httpx.HTTPError as exc:
            raise FetchError(f"witness {peer.url} unreachable: {exc}") from None
        if resp.status_code == 409 and resp.headers.get("content-type", "").startswith(
            "text/x.tlog.size"
        ):
            seen = resp.text.strip()
            if not seen.isdigit() or int(seen) == old:
                break
            if int(seen) > size:
                raise LedgerVerificationError(
                    f"witness {peer.url} has cosigned a tree of size {seen}, larger than the "
                    f"log's {size}: the log lost entries it had published",
                    hint="restore the database from a backup that holds those entries",
                )
            old = int(seen)
            continue
        if resp.status_code != 200:
            raise FetchError(
                f"witness {peer.url} refused the checkpoint of size {size}: "
                f"HTTP {resp.status_code} {resp.text.strip()[:200]}"
            )
        lines = [ln + "\n" for ln in resp.text.splitlines() if ln]
        try:
            cosigned = text + "\n" + "".join(lines)
            open_note(cosigned, [peer.key])  # raises unless the witness's cosignature is valid
            _, sigs = split_note(cosigned)
        except NoteError as exc:
            raise FetchError(f"witness {peer.url} returned no valid cosignature: {exc}") from None
        mine = [
            line
            for line, (name, key_id, _) in zip(lines, sigs, strict=True)
            if name == peer.key.name and key_id == peer.key.key_id
        ]
        return mine[0]
    raise FetchError(f"witness {peer.url} refused the checkpoint of size {size}: size conflict")
