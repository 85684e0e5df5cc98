"""Field claims: which fields of a record a citation may report a value for, and how.

`CLAIMABLE_FIELDS` is the one declaration: per kind of record (the citation's target), the
fields a source can give, each with its type. A type writes a reported value in one normal
form (so that two sources saying the same thing compare equal), says what a record itself
holds in that form, and shows a value to people. A record is disputed on a field when its
citations for that field report more than one normal form (`CitationQuerySet.disputes`).
"""

import datetime
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .choices import (
    AgreementStatus,
    ClaimField,
    CommitmentStatus,
    DatePrecision,
    MemberCountQualifier,
)
from .dates import EARLIEST_DATE, LATEST_DATE, date_range_message, format_partial_date

PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
MEMBER_COUNT = re.compile(r"^(>|~)?\s*(\d{1,9})$")
QUALIFIER_MARKS = {MemberCountQualifier.MORE_THAN: ">", MemberCountQualifier.ABOUT: "~"}


class PartialDate:
    """A date the source gives to the day, the month or the year: '2021-12-28', '2021-12',
    '2021'."""

    def __init__(self, precision_field):
        self.precision_field = precision_field

    def parse(self, value):
        """(date, precision) of a normal-form value."""
        match = PARTIAL_DATE.match(value.strip())
        if not match:
            raise ValidationError(
                _("Write a date as YYYY-MM-DD, YYYY-MM or YYYY, such as 2021-12-28."),
                code="claim_date",
            )
        year, month, day = match.groups()
        precision = (
            DatePrecision.DAY if day else DatePrecision.MONTH if month else DatePrecision.YEAR
        )
        try:
            date = datetime.date(int(year), int(month or 1), int(day or 1))
        except ValueError:
            raise ValidationError(_("This date does not exist."), code="claim_date") from None
        if not EARLIEST_DATE <= date <= LATEST_DATE:
            raise ValidationError(date_range_message(), code="date_out_of_range")
        return date, precision

    def normalise(self, value):
        return self.write(*self.parse(value))

    @staticmethod
    def write(date, precision):
        if date is None:
            return ""
        if precision == DatePrecision.YEAR:
            return f"{date.year:04d}"
        if precision == DatePrecision.MONTH:
            return f"{date.year:04d}-{date.month:02d}"
        return date.isoformat()

    def held(self, record, field):
        precision = (
            getattr(record, self.precision_field) if self.precision_field else DatePrecision.DAY
        )
        return self.write(getattr(record, field), precision)

    def display(self, value):
        try:
            return format_partial_date(*self.parse(value))
        except ValidationError:
            return value


class Choice:
    """One of a vocabulary's codes, such as a status."""

    def __init__(self, choices):
        self.choices = choices

    def normalise(self, value):
        code = value.strip().lower()
        if code not in self.choices.values:
            raise ValidationError(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(self.choices.values)},
                code="claim_choice",
            )
        return code

    def held(self, record, field):
        return getattr(record, field)

    def display(self, value):
        return str(self.choices(value).label) if value in self.choices.values else value


class MemberCount:
    """A number of members: digits, after '>' for 'more than' or '~' for 'about' ('>40')."""

    def normalise(self, value):
        match = MEMBER_COUNT.match(value.strip())
        if not match:
            raise ValidationError(
                _(
                    "Write a number of members as digits, after > for “more than” or ~ for "
                    "“about”: 40, >40, ~40."
                ),
                code="claim_number",
            )
        mark, digits = match.groups()
        return f"{mark or ''}{int(digits)}"

    def held(self, record, field):
        if record.members is None:
            return ""
        return f"{QUALIFIER_MARKS.get(record.members_qualifier, '')}{record.members}"

    def display(self, value):
        match = MEMBER_COUNT.match(value)
        if not match:
            return value
        mark, digits = match.groups()
        number = number_format(int(digits), force_grouping=True)
        if mark == ">":
            return _("more than %(number)s") % {"number": number}
        if mark == "~":
            return _("about %(number)s") % {"number": number}
        return number


class FreeText:
    """Words, such as a place; compared as written, spacing aside."""

    def normalise(self, value):
        return " ".join(value.split())

    def held(self, record, field):
        return " ".join(getattr(record, field).split())

    def display(self, value):
        return value


CLAIMABLE_FIELDS = {
    "agreement": {
        ClaimField.SIGNED_ON: PartialDate("signed_on_precision"),
        ClaimField.PLACE: FreeText(),
        ClaimField.STATUS: Choice(AgreementStatus),
    },
    "commitment": {
        ClaimField.STATUS: Choice(CommitmentStatus),
        ClaimField.DUE_ON: PartialDate(None),
        ClaimField.MET_ON: PartialDate(None),
    },
    "organisation": {
        ClaimField.FOUNDED_ON: PartialDate("founded_on_precision"),
        ClaimField.MEMBERS: MemberCount(),
    },
}


def claim_type(target, field):
    """The type of `field` on a `target` record, or None when it cannot be claimed."""
    return CLAIMABLE_FIELDS.get(target, {}).get(field)


def display_claim(target, field, value):
    """A reported value as people read it ('28 December 2021', 'more than 40')."""
    kind = claim_type(target, field)
    return kind.display(value) if kind else value


def held_value(record, target, field):
    """What `record` itself holds for `field`, in the normal form of reported values."""
    return claim_type(target, field).held(record, field)


@dataclass
class ReportedValue:
    """One of the values sources report for a disputed field, with the quotes that say it."""

    value: str
    label: str
    held: bool  # the value the record itself holds (the one staff chose)
    citations: list = dataclass_field(default_factory=list)


@dataclass
class Dispute:
    """A record's field for which its sources report different values."""

    record: object
    target: str
    field: str
    values: list = dataclass_field(default_factory=list)

    @property
    def field_label(self):
        return ClaimField(self.field).label

    @property
    def held_label(self):
        held = held_value(self.record, self.target, self.field)
        return display_claim(self.target, self.field, held) if held else ""


def load_disputes(records):
    """Give each record (all of one kind) its `disputes`: a list of `Dispute`, by field.

    Two queries whatever the number of records: the disputed fields, then their quotes.
    """
    records = list(records)
    for record in records:
        record.disputes = []
    if not records:
        return records
    target = records[0].citation_target
    by_id = {record.pk: record for record in records}
    citations = apps.get_model("tracker", "Citation").objects
    pairs = [
        (row[target], row["field"])
        for row in citations.disputes(target).filter(**{f"{target}__in": list(by_id)})
    ]
    disputes = {}
    for citation in citations.claims_about(target, pairs):
        record = by_id[getattr(citation, f"{target}_id")]
        dispute = disputes.get((record.pk, citation.field))
        if dispute is None:
            dispute = disputes[record.pk, citation.field] = Dispute(record, target, citation.field)
            record.disputes.append(dispute)
        if not dispute.values or dispute.values[-1].value != citation.value:
            dispute.values.append(
                ReportedValue(
                    citation.value,
                    display_claim(target, citation.field, citation.value),
                    citation.value == held_value(record, target, citation.field),
                )
            )
        dispute.values[-1].citations.append(citation)
    return records
