"""Changes made by another process reach a running server's memory within one refresh:
a revoked key stops working, a disabled entry stops matching, a new one matches."""

from __future__ import annotations

import pytest

from amparo import auth, banks
from amparo.banks import NewEntry
from amparo.config import Settings
from amparo.errors import AuthenticationError
from amparo.matching import Query
from amparo.runtime import Amparo

PDQ = "f" * 60 + "0000"


def test_another_process_s_changes_reach_the_server(settings: Settings) -> None:
    server = Amparo.open(settings)
    other = Amparo.open(settings)  # another process: its own runtime on the same database
    try:
        with other.session() as s:
            _, key = auth.create_key(s, name="k", role="scanner")
            banks.create_bank(s, "X")
        server.start()
        assert server.worker("catalog").run_now()
        principal = server.keyring.authenticate(key)

        with other.session() as s:
            entry = banks.add_entry(s, "X", NewEntry(signals={"pdq": PDQ}))
        assert server.worker("catalog").run_now()
        assert server.matcher.lookup([Query("pdq", PDQ)]) != [[]]

        with other.session() as s:
            banks.update_entry(s, "X", entry.id, disable_until_ts=0)
            auth.revoke_key(s, principal.key_id)
        assert server.worker("catalog").run_now()  # one refresh interval, run now
        assert server.matcher.lookup([Query("pdq", PDQ)]) == [[]]
        with pytest.raises(AuthenticationError):
            server.keyring.authenticate(key)
    finally:
        other.close()
        server.close()
