"""Every setting a user can give is documented in the README."""

from __future__ import annotations

from pathlib import Path

from amparo.config import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_every_setting_is_in_the_readme() -> None:
    names = [f"AMPARO_{n.upper()}" for n in Settings.model_fields]
    missing = [n for n in names if f"`{n}`" not in README]
    assert not missing, f"document these settings in README.md: {missing}"
