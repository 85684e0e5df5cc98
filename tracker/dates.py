"""Dates in the tracker: the range every stored date lies in, partial dates, timeline periods.

The range is declared once here. Model fields validate against it, a named check constraint
per date column holds it in the database, and the UI and API date filters refuse a date
outside it, so a typing slip (9999, 0202, 20211) never reaches a page that does date
arithmetic. It runs from 1800, so the founding dates of the older firms and institutions the
tracker records (19th-century device makers among them) fit, to 2100, past any plan's horizon.
"""

import calendar
import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _

from .choices import DatePrecision

EARLIEST_DATE = datetime.date(1800, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)


def date_range_message():
    """'Enter a date between 1 January 1800 and 31 December 2100.', in the active language."""
    return _("Enter a date between %(earliest)s and %(latest)s.") % {
        "earliest": formats.date_format(EARLIEST_DATE, "DATE_FORMAT"),
        "latest": formats.date_format(LATEST_DATE, "DATE_FORMAT"),
    }


def validate_date_in_range(value):
    """Refuse a date outside EARLIEST_DATE..LATEST_DATE (a field validator)."""
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(date_range_message(), code="date_out_of_range")


def normalise_partial_date(value, precision):
    """The first day of the month or year a partial date stands for."""
    if value is None:
        return None
    if precision == DatePrecision.MONTH:
        return value.replace(day=1)
    if precision == DatePrecision.YEAR:
        return value.replace(month=1, day=1)
    return value


def last_day_of(value, precision):
    """The last day of the month or year a partial date stands for."""
    if precision == DatePrecision.MONTH:
        return value.replace(day=calendar.monthrange(value.year, value.month)[1])
    if precision == DatePrecision.YEAR:
        return value.replace(month=12, day=31)
    return value


def format_partial_date(value, precision=DatePrecision.DAY):
    """'28 December 2021', 'July 2020' or '2020', in the active language."""
    if value is None:
        return ""
    if precision == DatePrecision.MONTH:
        return formats.date_format(value, "YEAR_MONTH_FORMAT")
    if precision == DatePrecision.YEAR:
        return formats.date_format(value, "Y")
    return formats.date_format(value, "DATE_FORMAT")


# Timeline periods ----------------------------------------------------------------------------

# Period lengths in months, shortest first: months, quarters, years, then runs of years.
PERIOD_MONTHS = (1, 3, 12, 24, 60, 120, 240, 600, 1200, 2400, 6000, 12000)
# Months are counted from January of year 0, which `datetime.date` cannot hold: clamp to it.
FIRST_MONTH = 12 * datetime.date.min.year
LAST_MONTH = 12 * datetime.date.max.year + 11


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date
    months: int  # its length: 1, 3, 12 or a run of years

    @property
    def label(self):
        if self.months == 1:
            return format_partial_date(self.start, DatePrecision.MONTH)
        if self.months == 3:
            return _("Q%(quarter)s %(year)s") % {
                "quarter": (self.start.month - 1) // 3 + 1,
                "year": self.start.year,
            }
        if self.months == 12:
            return str(self.start.year)
        return f"{self.start.year}–{self.end.year}"

    def __contains__(self, day):
        return self.start <= day <= self.end


def month_index(day):
    return day.year * 12 + day.month - 1


def _first_day(index):
    index = min(max(index, FIRST_MONTH), LAST_MONTH)
    return datetime.date(index // 12, index % 12 + 1, 1)


def _last_day(index):
    index = min(max(index, FIRST_MONTH), LAST_MONTH)
    year, month = index // 12, index % 12 + 1
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def periods(first, last, max_count=48, min_months=12):
    """Consecutive periods covering `first`..`last`: months, else quarters, else years, else
    runs of years, whichever is the shortest that needs at most `max_count` periods.

    At least `min_months` are covered (ending with `last`'s month), so a lone month is shown
    in some context. Any pair of dates a `datetime.date` can hold gives at most `max_count`
    periods, each within the dates Python can represent.
    """
    low, high = month_index(first), month_index(last)
    low = max(min(low, high - min_months + 1), FIRST_MONTH)
    for months in PERIOD_MONTHS:
        start = low - low % months
        count = (high - start) // months + 1
        if count <= max_count:
            break
    spans = []
    for begin in range(start, high + 1, months):
        spans.append(Period(_first_day(begin), _last_day(begin + months - 1), months))
    return spans
