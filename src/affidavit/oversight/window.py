"""A report window: whole UTC days, both ends included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from affidavit.errors import InputError

__all__ = ["Window"]


@dataclass(frozen=True)
class Window:
    """Whole UTC days, both ends included; None leaves that end open."""

    first: date | None = None
    last: date | None = None

    def __post_init__(self) -> None:
        if self.first and self.last and self.first > self.last:
            raise InputError("--from must not be later than --to")

    @classmethod
    def parse(cls, first: str | None, last: str | None) -> Window:
        return cls(_day(first, "--from"), _day(last, "--to"))

    def holds(self, day: str) -> bool:
        return (self.first is None or day >= self.first.isoformat()) and (
            self.last is None or day <= self.last.isoformat()
        )

    def end(self) -> datetime | None:
        """The first moment after the window."""
        if self.last is None:
            return None
        return datetime.combine(self.last + timedelta(days=1), datetime.min.time(), UTC)

    def to_dict(self) -> dict[str, str | None]:
        return {
            "from": None if self.first is None else self.first.isoformat(),
            "to": None if self.last is None else self.last.isoformat(),
        }


def _day(text: str | None, what: str) -> date | None:
    if text is None or text == "":
        return None
    if not isinstance(text, str) or len(text) != 10:
        raise InputError(f"{what} must be a date like 2026-12-01")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{what} must be a date like 2026-12-01") from None
