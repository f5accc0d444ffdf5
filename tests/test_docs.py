"""The README is the contract with the ward's IT contractor: keep it in step with the code."""

from __future__ import annotations

from pathlib import Path

from bot.cli import _parser
from bot.config import SETTINGS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in README]
    assert not missing, f"settings missing from README: {missing}"


def test_every_cli_command_is_documented() -> None:
    subparsers = next(a for a in _parser()._actions if a.dest == "command")
    missing = [name for name in subparsers.choices if f"python -m bot {name}" not in README]
    assert not missing, f"commands missing from README: {missing}"


def test_readme_gives_the_two_commands() -> None:
    assert "pip install -e . && python -m bot" in README
    assert 'pip install -e ".[dev]" && pytest' in README
