"""An ``entries.add`` / ``entries.update`` record's digest is the SHA-256 of the documented
canonical JSON, whatever the text in the entries (verifiers recompute it with any JSON
library)."""

from __future__ import annotations

import hashlib
import json
from types import MappingProxyType

from hypothesis import given
from hypothesis import strategies as st

from amparo.banks import entries_digest
from amparo.banks._events import DigestRow

texts = st.text(max_size=12)
rows = st.lists(
    st.tuples(
        st.integers(0, 2**63 - 1),
        texts,
        st.none() | texts,
        st.none() | texts,
        st.lists(texts, max_size=3) | st.lists(texts, max_size=3).map(tuple),
        st.dictionaries(texts, texts, max_size=3)
        | st.dictionaries(texts, texts, max_size=3).map(MappingProxyType),
    ),
    max_size=8,
    unique_by=lambda row: row[0],
)


@given(rows)
def test_the_digest_is_that_of_the_documented_json(entries: list[DigestRow]) -> None:
    canonical = [
        [i, source, source_id, category, list(tags), dict(sorted(signals.items()))]
        for i, source, source_id, category, tags, signals in sorted(entries)
    ]
    text = json.dumps(canonical, separators=(",", ":"), ensure_ascii=False)
    assert entries_digest(entries) == hashlib.sha256(text.encode()).hexdigest()
