"""Build and render a report in one call (used by the CLI and by /baocao_thongke)."""

from __future__ import annotations

from datetime import date

from bot.config import Config
from bot.content.loader import Content
from bot.reports.figures import Report, build
from bot.reports.labels import Labels
from bot.reports.render import filename, render
from bot.stats.recorder import Statistics


def make_report(
    stats: Statistics, config: Config, content: Content | None, first: date, last: date, fmt: str, today: date
) -> tuple[Report, str, bytes]:
    from bot.stats.actions import threshold

    stats.close_days(today.isoformat())  # yesterday's digests become counts before we read them
    report = build(
        stats,
        first,
        last,
        ward=config.get("BOT_WARD_NAME"),
        threshold=threshold(config),
        labels=Labels.from_content(content),
        made=today,
    )
    return report, filename(report, fmt), render(report, fmt)
