"""Report periods: the named ones staff pick in the chat, and validated dates from the command line."""

from __future__ import annotations

from datetime import date, timedelta


class PeriodError(ValueError):
    """A period the user gave cannot be used; the message is Vietnamese, ready to print."""


def named(name: str, today: date) -> tuple[date, date]:
    """this_month: from the 1st to today; last_month: the whole previous month; last_6_months: the
    six whole months before this one."""
    first_of_month = today.replace(day=1)
    if name == "this_month":
        return first_of_month, today
    if name == "last_month":
        end = first_of_month - timedelta(days=1)
        return end.replace(day=1), end
    if name == "last_6_months":
        end = first_of_month - timedelta(days=1)
        year, month = end.year, end.month - 5
        if month < 1:
            year, month = year - 1, month + 12
        return date(year, month, 1), end
    raise PeriodError(f"Không có kỳ báo cáo '{name}'.")


def parse_day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"Ngày {what} không hợp lệ: '{text}' (viết dạng NĂM-THÁNG-NGÀY, ví dụ 2026-06-01).") from None


def checked(first: date, last: date) -> tuple[date, date]:
    if first > last:
        raise PeriodError(f"Ngày bắt đầu ({first.isoformat()}) ở sau ngày kết thúc ({last.isoformat()}).")
    if (last - first).days > 3 * 366:
        raise PeriodError("Kỳ báo cáo dài quá 3 năm; hãy chọn kỳ ngắn hơn.")
    return first, last
