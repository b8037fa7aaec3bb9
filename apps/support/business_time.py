"""Business time: how many working seconds lie between two instants, and which instant lies a number of working
seconds after another, on the service desk's calendar (working days and hours in its time zone, closed on the
country's public holidays from the `holidays` library).

Every instant is aware; the arithmetic is done in UTC so a daylight-saving change never adds or loses an hour.
"""

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

UTC = dt.UTC
_MAX_DAYS = 3700  # ten years of days: a target beyond that is a configuration error, not a deadline


@dataclass(frozen=True)
class Calendar:
    tz: ZoneInfo
    days: frozenset[int]
    start: dt.time
    end: dt.time
    country: str

    @property
    def holidays(self) -> holidays.HolidayBase:
        return _holidays(self.country)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() in self.days and day not in self.holidays

    def window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The day's working hours as UTC instants, or None on a day off."""
        if not self.is_working_day(day):
            return None
        opens = dt.datetime.combine(day, self.start, tzinfo=self.tz).astimezone(UTC)
        closes = dt.datetime.combine(day, self.end, tzinfo=self.tz).astimezone(UTC)
        return opens, closes

    def seconds_between(self, a: dt.datetime, b: dt.datetime) -> float:
        """Working seconds in [a, b) (0 if b is not after a)."""
        if b <= a:
            return 0.0
        total = 0.0
        day = a.astimezone(self.tz).date()
        last = b.astimezone(self.tz).date()
        while day <= last:
            window = self.window(day)
            if window:
                lo, hi = max(window[0], a), min(window[1], b)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += dt.timedelta(days=1)
        return total

    def add(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The instant `seconds` working seconds after `start` (start itself for zero or less)."""
        if seconds <= 0:
            return start
        remaining = seconds
        day = start.astimezone(self.tz).date()
        for _ in range(_MAX_DAYS):
            window = self.window(day)
            if window:
                lo = max(window[0], start)
                if window[1] > lo:
                    available = (window[1] - lo).total_seconds()
                    if remaining <= available:
                        return lo + dt.timedelta(seconds=remaining)
                    remaining -= available
            day += dt.timedelta(days=1)
        raise ValueError("The target lies more than ten years of working days ahead.")


class Clock:
    """Plain elapsed time, for policies that run around the clock."""

    @staticmethod
    def seconds_between(a: dt.datetime, b: dt.datetime) -> float:
        return max((b - a).total_seconds(), 0.0)

    @staticmethod
    def add(start: dt.datetime, seconds: float) -> dt.datetime:
        return start + dt.timedelta(seconds=max(seconds, 0))


@lru_cache(maxsize=8)
def _holidays(country: str) -> holidays.HolidayBase:
    return holidays.country_holidays(country) if country else holidays.HolidayBase()


def _time(value: str) -> dt.time:
    return dt.time.fromisoformat(value)


def service_calendar() -> Calendar:
    """The service desk's calendar from settings (SUPPORT_*)."""
    return Calendar(
        tz=ZoneInfo(settings.SUPPORT_TIME_ZONE),
        days=frozenset(settings.SUPPORT_BUSINESS_DAYS),
        start=_time(settings.SUPPORT_BUSINESS_START),
        end=_time(settings.SUPPORT_BUSINESS_END),
        country=settings.SUPPORT_HOLIDAY_COUNTRY,
    )
