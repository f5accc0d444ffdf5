"""One thing the doctor found: a status, a Vietnamese sentence, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["ok", "info", "warn", "fail"]


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    message: str
    fix: str = ""
    details: list[str] = field(default_factory=list)
