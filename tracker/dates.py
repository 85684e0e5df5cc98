"""Dates that a source gives only in part keep the precision it gives."""

from django.utils import formats

from .choices import DatePrecision


def normalise_partial_date(value, precision):
    """The first day of the month or year a partial date stands for."""
    if value is None:
        return None
    if precision == DatePrecision.MONTH:
        return value.replace(day=1)
    if precision == DatePrecision.YEAR:
        return value.replace(month=1, day=1)
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
