"""Child process of the crash test: appends entries, integrates and signs until killed.

Prints ``ack <id>`` after each entry's commit and ``cp <base64 note>`` right after signing a
checkpoint, before it is stored: the parent checks both against what survived.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

from ledger_events import Note
from sqlalchemy.orm import Session

from amparo import ledger
from amparo.ledger import _ledger
from amparo.store import create_engine_for


def main() -> None:
    url, key = sys.argv[1], Path(sys.argv[2])
    signer = ledger.load_signer(key)
    real_sign = _ledger.sign_note

    def sign_and_tell(text: str, signers: list[ledger.Signer]) -> str:
        note = real_sign(text, signers)
        print("cp " + base64.b64encode(note.encode()).decode(), flush=True)
        return note

    _ledger.sign_note = sign_and_tell  # type: ignore[assignment]
    engine = create_engine_for(url)
    log = ledger.Ledger(engine, signer=signer, tally_seconds=0.05)
    n = 0
    while True:
        with Session(engine) as s, s.begin():
            (entry,) = ledger.append(s, [Note(n=n)])
            ledger.count_scans(s, 1)
        print(f"ack {entry}", flush=True)
        n += 1
        if n % 7 == 0:
            log.integrate(limit=50)
            log.checkpoint()


if __name__ == "__main__":
    main()
