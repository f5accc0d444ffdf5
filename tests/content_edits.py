"""A private copy of the shipped content that a test edits the way a ward officer would (for
reload tests): one contact renamed, or one flow target broken."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OLD_NAME = "Tổng đài quốc gia bảo vệ trẻ em 111"
NEW_NAME = "Tổng đài 111 – đã cập nhật hôm nay"


def copy_content(target: Path) -> tuple[Path, Path]:
    knowledge, flows = target / "knowledge", target / "flows"
    shutil.copytree(ROOT / "knowledge", knowledge)
    shutil.copytree(ROOT / "flows", flows)
    return knowledge, flows


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def rename_contact(knowledge: Path) -> None:
    """A valid edit: the hotline's name in knowledge/contacts.yaml changes."""
    edit(knowledge / "contacts.yaml", OLD_NAME, NEW_NAME)


def break_menu(flows: Path) -> None:
    """An invalid edit: a menu button now goes to a node that does not exist ('contactz')."""
    edit(flows / "menu.yaml", "next: contacts", "next: contactz")
