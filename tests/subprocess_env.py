"""The environment for the `python -m bot …` processes tests start: none of this machine's bot
settings, and the semantic model off (each fresh data folder would first embed the whole
knowledge base, minutes here); tests about the semantic layer run it in this process."""

from __future__ import annotations

import os


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_"))}
    env["BOT_SEMANTIC"] = "off"
    env.update(extra)
    return env
