"""The one font of printed pieces: Be Vietnam Pro, shipped as a PyPI package (no download at run
time), drawn for Vietnamese. Debian's DejaVu Sans is the fallback. Text is made printable here, so
no slide or poster ever shows an empty box in place of a missing glyph."""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from bot.exports.common import ExportError

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
# Characters the content uses that a font may lack, and what to print instead.
SUBSTITUTES = {"→": "›", "⇒": "›", "☎": "", "✓": "", "✅": "", "❌": "", "\u00a0": " ", "\u200b": ""}


def font_path(weight: str = "Bold") -> Path:
    """`weight`: Regular, Medium, SemiBold, Bold or ExtraBold."""
    try:
        import fontpkg_be_vietnam_pro
    except ImportError:
        fallback = DEJAVU / ("DejaVuSans-Bold.ttf" if weight in ("SemiBold", "Bold", "ExtraBold") else "DejaVuSans.ttf")
        if fallback.is_file():
            return fallback
        raise ExportError(
            'Thiếu phông chữ tiếng Việt. Hãy cài: pip install -e ".[export]" (phông Be Vietnam Pro).'
        ) from None
    return Path(fontpkg_be_vietnam_pro.ROOT) / "files" / f"BeVietnamPro-{weight}.ttf"


@lru_cache(maxsize=8)
def codepoints(path: Path) -> frozenset[int]:
    """Every character the font can draw (its cmap)."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def missing_glyphs(text: str, path: Path) -> set[str]:
    have = codepoints(path)
    return {char for char in text if not char.isspace() and ord(char) not in have}


def printable(text: str, path: Path) -> str:
    """NFC text with known substitutes applied and any other undrawable character (emoji…) dropped."""
    text = unicodedata.normalize("NFC", text)
    for char, replacement in SUBSTITUTES.items():
        text = text.replace(char, replacement)
    missing = missing_glyphs(text, path)
    if missing:
        text = "".join(char for char in text if char not in missing)
    return (
        " ".join(text.split()) if "\n" not in text else "\n".join(" ".join(line.split()) for line in text.split("\n"))
    )
