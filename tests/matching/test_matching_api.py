"""The public surface of amparo.matching is exactly its __all__, and each name is documented."""

from __future__ import annotations

import amparo.matching as matching


def test_all_is_complete_and_documented() -> None:
    public = {n for n in dir(matching) if not n.startswith("_")}
    assert set(matching.__all__) == public
    for name in matching.__all__:
        obj = getattr(matching, name)
        assert isinstance(obj, int) or obj.__doc__, name
