"""Store fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask most systems have (0022), which would make new files world-readable."""
    old = os.umask(0o022)
    yield
    os.umask(old)
