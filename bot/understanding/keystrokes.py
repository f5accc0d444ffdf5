"""Telex and VNI leftovers: words typed as keystrokes that the phone's input method never turned
into Vietnamese ("con tooi bij" = con tôi bị, "to6i" = tôi, "ddi" = đi).

The decoding itself is BoGo's (`bogo`, the engine behind ibus-bogo), which implements both input
methods exactly. Deciding *whether* a word is a leftover is ours, in `normalize._fix_tokens`: a
word we already know ("can", "hay", "game") is never decoded, and a decoding counts only when it
gives a syllable our content uses.
"""

from __future__ import annotations

from functools import lru_cache

import bogo
import bogo.core

_VNI = bogo.get_vni_definition()


class _Silent:
    """BoGo logs every keystroke with `logging.debug` on the root logger: that call installs a
    root handler by itself (logging.basicConfig) and would put message text in a debug log."""

    def debug(self, *_args: object, **_kwargs: object) -> None:
        pass


bogo.core.logging = _Silent()  # type: ignore[attr-defined]
_TELEX_KEYS = frozenset("sfrxjwz")  # tone and hook keys; doubled vowels and dd are seen by BoGo itself
_MAX_LENGTH = 12  # the longest Vietnamese syllable typed as keys ("nghieengx") is 9-10 keys


@lru_cache(maxsize=65536)
def decode_keystrokes(token: str) -> str | None:
    """The Vietnamese word `token` spells in Telex or VNI, or None when it spells nothing new.

    `token` is one folded, lower-case word. VNI is tried when the word mixes letters and digits
    (the digits are its marks), Telex otherwise. The result keeps its diacritics.
    """
    if not token or len(token) > _MAX_LENGTH or not token.isascii() or not token[0].isalpha():
        return None
    try:
        if token.isalpha():
            if not (_TELEX_KEYS & set(token) or "dd" in token or _doubled_vowel(token)):
                return None
            decoded = bogo.process_sequence(token)
        elif token.isalnum():
            decoded = bogo.process_sequence(token, rules=_VNI)
        else:
            return None
    except (IndexError, KeyError, ValueError):  # bogo trips on some non-words ("qubw"): not a word then
        return None
    if decoded == token or not decoded.isalpha():
        return None
    return decoded


def _doubled_vowel(token: str) -> bool:
    return any(pair in token for pair in ("aa", "ee", "oo"))
