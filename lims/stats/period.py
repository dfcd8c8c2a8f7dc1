"""The period a figure covers and the county it is limited to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lims.core.localtime import local_today


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    """First and last day, both inclusive (sampling dates, rapid-test days)."""

    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        if self.start.month == 1 and self.start.day == 1 and self.end == dt.date(
                self.start.year, 12, 31):
            return str(self.start.year)
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    @property
    def start_at(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), tzinfo=dt.UTC)

    @property
    def end_before(self) -> dt.datetime:
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)

    def as_dict(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "label": self.label}

    @classmethod
    def year(cls, year: int) -> Period:
        if not 2000 <= year <= 2100:
            raise PeriodError(f"年份无效：{year}")
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def parse(cls, year: str | int | None = None, date_from: str | None = None,
              date_to: str | None = None, *, today: dt.date | None = None) -> Period:
        """``year`` (2026), or ``from``/``to`` dates (YYYY-MM-DD); default: this year."""
        if date_from or date_to:
            try:
                start = dt.date.fromisoformat(str(date_from)) if date_from else None
                end = dt.date.fromisoformat(str(date_to)) if date_to else None
            except ValueError:
                raise PeriodError(f"日期格式应为 YYYY-MM-DD：{date_from or ''} {date_to or ''}"
                                  ) from None
            today = today or local_today()
            start = start or dt.date((end or today).year, 1, 1)
            end = end or dt.date(start.year, 12, 31)
            if end < start:
                raise PeriodError("结束日期早于开始日期")
            return cls(start, end)
        if year in (None, ""):
            return cls.year((today or local_today()).year)
        try:
            return cls.year(int(str(year)))
        except ValueError:
            raise PeriodError(f"年份无效：{year}") from None
