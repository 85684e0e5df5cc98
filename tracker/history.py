"""What changed, read from the history every record keeps.

A record's history is its own rows and those of what belongs to it (a source's or an
agreement's citations, an organisation's other names, an agreement's parties, commitments and
their progress reports...), merged by date: `record_history`. The recent changes of every kind
are one query per kind, each limited, merged: `recent_changes`. Deleted records are the latest
history rows of ids that no longer exist, and `restore` brings one back under its own id.

Each query reads whole kinds at once, so a page costs the same number of queries whatever the
number of changes it shows.
"""

import datetime
import heapq
import re
from dataclasses import dataclass, field
from itertools import islice

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .models import (
    Agreement,
    AgreementParty,
    Citation,
    Commitment,
    CommitmentReport,
    Organisation,
    OrganisationLink,
    OrganisationName,
    Person,
    Position,
    Source,
)

# Every kind of record with a history, in the order the recent changes filter offers them.
KINDS = (
    Organisation,
    OrganisationName,
    OrganisationLink,
    Person,
    Position,
    Agreement,
    AgreementParty,
    Commitment,
    CommitmentReport,
    Source,
    Citation,
)

# What belongs to a record: `(kind, its key to the record)`; followed down, so an agreement's
# history holds its commitments' progress reports and their quotes too.
BELONGS = {
    Source: [(Citation, "source")],
    Organisation: [
        (OrganisationName, "organisation"),
        (OrganisationLink, "from_organisation"),
        (Position, "organisation"),
        (Citation, "organisation"),
    ],
    OrganisationLink: [(Citation, "organisation_link")],
    Person: [(Position, "person"), (Citation, "person")],
    Position: [(Citation, "position")],
    Agreement: [(AgreementParty, "agreement"), (Commitment, "agreement"), (Citation, "agreement")],
    AgreementParty: [(Citation, "agreement_party")],
    Commitment: [(CommitmentReport, "commitment"), (Citation, "commitment")],
    CommitmentReport: [(Citation, "report")],
}

# Fields a person never edits: derived copies, shown nowhere in a change.
HIDDEN_FIELDS = {"search_text"}

REVERT_REASON = "Reverted to the version of {date}"
RESTORE_REASON = "Restored from the deleted records"
# The other reasons written with changes, here so that their translations are kept.
WRITTEN_REASONS = (
    gettext_noop("Loaded from the article fixtures"),
    gettext_noop("Status followed from its progress reports"),
    gettext_noop("Generated synthetic data"),
    gettext_noop("Restored from the deleted records"),
)
_REVERTED = re.compile(r"^Reverted to the version of (?P<date>\S+)$")


def revert_reason(version):
    return REVERT_REASON.format(date=version.history_date.isoformat())


def describe_reason(reason):
    """A change reason in the reader's language: the reasons the tracker writes are stored in
    English, with any date as ISO 8601, and read back translated."""
    if not reason:
        return ""
    reverted = _REVERTED.match(reason)
    if reverted:
        try:
            date = datetime.datetime.fromisoformat(reverted["date"])
        except ValueError:
            return reason
        return _("Reverted to the version of %(date)s") % {
            "date": localize(timezone.localtime(date))
        }
    return _(reason)


ACTIONS = {"+": "added", "~": "changed", "-": "deleted"}


def action_label(model, action):
    kind = capfirst(model._meta.verbose_name)
    labels = {
        "added": _("%(kind)s added"),
        "changed": _("%(kind)s changed"),
        "deleted": _("%(kind)s deleted"),
        "restored": _("%(kind)s restored"),
    }
    return labels[action] % {"kind": kind}


@dataclass
class Change:
    """One history row, told for a reader."""

    row: object
    model: type
    action: str  # added, changed, deleted, restored
    own: bool = True  # the record's own row, not one of what belongs to it
    changes: list = field(default_factory=list)  # (field label, old, new)

    @property
    def date(self):
        return self.row.history_date

    @property
    def user(self):
        return self.row.history_user

    @property
    def label(self):
        return action_label(self.model, self.action)

    @property
    def reason(self):
        return describe_reason(self.row.history_change_reason)

    @property
    def description(self):
        named = getattr(self, "named_after", None)
        if named:
            return f"{named} ({self.row.instance})"
        return str(self.row.instance)

    @property
    def admin_history_url(self):
        return reverse(f"admin:tracker_{self.model._meta.model_name}_history", args=[self.row.id])

    @property
    def revert_url(self):
        return reverse(
            f"admin:tracker_{self.model._meta.model_name}_simple_history",
            args=[self.row.id, self.row.history_id],
        )


def action_of(row):
    if row.history_type == "+" and row.history_change_reason == RESTORE_REASON:
        return "restored"
    return ACTIONS[row.history_type]


def shown_fields(model):
    return [
        f
        for f in model._meta.concrete_fields
        if f.editable and not f.primary_key and f.name not in HIDDEN_FIELDS
    ]


def differences(model, old, new):
    """`(field, old value, new value)` of what differs between two history rows."""
    return [
        (f, getattr(old, f.attname), getattr(new, f.attname))
        for f in shown_fields(model)
        if getattr(old, f.attname) != getattr(new, f.attname)
    ]


def history_rows(model):
    return model.history.select_related("history_user")


def belonging_rows(model, pk):
    """Every history row of `model` record `pk` and of what belongs to it, with its kind:
    one query per kind of what belongs, following each kind down from the ids its parent's
    rows name (a deleted commitment's reports are still found)."""
    found = [(model, row) for row in history_rows(model).filter(id=pk)]
    level = [(model, {pk})]
    while level:
        below = []
        for parent, ids in level:
            for child, key in BELONGS.get(parent, ()):
                rows = list(history_rows(child).filter(**{f"{key}_id__in": ids}))
                found.extend((child, row) for row in rows)
                if rows and child in BELONGS:
                    below.append((child, {row.id for row in rows}))
        level = below
    return found


def record_history(model, pk):
    """The record's changes and those of what belongs to it, newest first, each with what
    changed (field: old → new); rows that changed nothing and say nothing are left out."""
    rows = belonging_rows(model, pk)
    previous = {}
    changes = []
    for kind, row in sorted(rows, key=lambda item: (item[1].history_date, item[1].history_id)):
        own = kind is model and row.id == pk
        change = Change(row=row, model=kind, action=action_of(row), own=own)
        before = previous.get((kind, row.id))
        if row.history_type == "~" and before is not None:
            change.changes = differences(kind, before, row)
            if not change.changes and not row.history_change_reason:
                previous[(kind, row.id)] = row
                continue
        previous[(kind, row.id)] = row
        changes.append(change)
    changes.reverse()
    return changes


# Kinds whose own name says little ("Signatory"): told with the record they name.
NAMED_AFTER = {
    AgreementParty: "organisation",
    OrganisationLink: "to_organisation",
    Position: "person",
}


def describe_values(changes):
    """Replace each change's raw values by what a reader recognises: names of related
    records (one query per kind of related record), labels of choices; and name a party,
    a link or a position after the organisation or person it names."""
    wanted = {}
    for change in changes:
        relation = NAMED_AFTER.get(change.model)
        if relation:
            related = change.model._meta.get_field(relation)
            value = getattr(change.row, related.attname)
            if value:
                wanted.setdefault(related.related_model, set()).add(value)
        for f, old, new in change.changes:
            if f.is_relation:
                wanted.setdefault(f.related_model, set()).update(v for v in (old, new) if v)
    names = {
        related: {obj.pk: str(obj) for obj in related._default_manager.filter(pk__in=ids)}
        for related, ids in wanted.items()
    }

    def shown(f, value):
        if value is None or value == "":
            return "—"
        if f.is_relation:
            return names[f.related_model].get(value, _("#%(id)s (deleted)") % {"id": value})
        if f.flatchoices:
            return dict(f.flatchoices).get(value, value)
        if isinstance(value, (datetime.date, bool)):
            return localize(value)
        return str(value)

    for change in changes:
        relation = NAMED_AFTER.get(change.model)
        if relation:
            related = change.model._meta.get_field(relation)
            value = getattr(change.row, related.attname)
            change.named_after = names[related.related_model].get(value)
        change.changes = [
            (capfirst(f.verbose_name), shown(f, old), shown(f, new))
            for f, old, new in change.changes
        ]
    return changes


# Recent changes ---------------------------------------------------------------------------


def recent_changes(kinds=KINDS, user=None, after=None, before=None, offset=0, limit=25):
    """The latest `limit` changes after the first `offset`, of the given kinds, newest first,
    and whether there are more. Per kind, one query reads the dates and ids of its latest
    `offset + limit + 1` rows (no record values, so a deep page stays light); merged, they
    name the page's rows, then read whole, one query per kind shown."""
    per_kind = []
    for kind in kinds:
        rows = kind.history.order_by("-history_date", "-history_id")
        if user is not None:
            rows = rows.filter(history_user=user)
        if after is not None:
            rows = rows.filter(history_date__gte=after)
        if before is not None:
            rows = rows.filter(history_date__lt=before)
        keys = rows.values_list("history_date", "history_id")[: offset + limit + 1]
        per_kind.append([(date, history_id, kind) for date, history_id in keys])
    merged = heapq.merge(*per_kind, key=lambda key: key[:2], reverse=True)
    window = list(islice(merged, offset, offset + limit + 1))
    wanted = {}
    for _date, history_id, kind in window[:limit]:
        wanted.setdefault(kind, []).append(history_id)
    rows = {
        (kind, row.history_id): row
        for kind, ids in wanted.items()
        for row in history_rows(kind).filter(history_id__in=ids)
    }
    changes = [
        Change(row=row, model=kind, action=action_of(row))
        for _date, history_id, kind in window[:limit]
        for row in [rows[(kind, history_id)]]
    ]
    return changes, len(window) > limit


# Where a record is shown, and what its page address needs loaded with it.
LINK_RELATIONS = {
    OrganisationName: ["organisation"],
    OrganisationLink: ["from_organisation"],
    Position: ["person"],
    AgreementParty: ["agreement"],
    Citation: ["source"],
}


def attach_links(changes):
    """Each change's `url`: the page of the record as it is now, or None if it no longer
    exists (one query per kind shown)."""
    ids = {}
    for change in changes:
        ids.setdefault(change.model, set()).add(change.row.id)
    current = {}
    for kind, pks in ids.items():
        records = kind._default_manager.filter(pk__in=pks).select_related(
            *LINK_RELATIONS.get(kind, ())
        )
        current[kind] = {record.pk: record for record in records}
    for change in changes:
        record = current[change.model].get(change.row.id)
        change.url = record.get_absolute_url() if record is not None else None
    return changes


# Deleted records --------------------------------------------------------------------------


def deleted_rows(model):
    """The last history row of each `model` record that no longer exists, newest first."""
    history = model.history.model
    return (
        history.objects.filter(history_type="-")
        .filter(~Exists(model._default_manager.filter(pk=OuterRef("id"))))
        .filter(
            ~Exists(
                history.objects.filter(id=OuterRef("id"), history_id__gt=OuterRef("history_id"))
            )
        )
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


class CannotRestore(Exception):
    """Why a deleted record cannot come back, in words for the editor."""


def restore(model, history_row, user):
    """Bring a deleted record back with its own id and its values at deletion, in one
    transaction, recorded in its history as restored by `user`. Refused (CannotRestore) when
    what it refers to is gone too, when another record took its unique values, or when it
    breaks a rule of its kind."""
    record = history_row.instance
    with transaction.atomic():
        if model._default_manager.filter(pk=record.pk).exists():
            raise CannotRestore(_("It exists already: it was restored or saved again since."))
        for f in model._meta.concrete_fields:
            if not f.is_relation or f.primary_key:
                continue
            value = getattr(record, f.attname)
            if value is not None and not f.related_model._default_manager.filter(pk=value).exists():
                raise CannotRestore(
                    _(
                        "Its %(field)s (#%(id)s) no longer exists; restore that first, "
                        "from its own deleted records."
                    )
                    % {"field": f.verbose_name, "id": value}
                )
        try:
            record.full_clean()
        except ValidationError as error:
            raise CannotRestore(" ".join(error.messages)) from error
        record._history_user = user
        record._change_reason = RESTORE_REASON
        try:
            with transaction.atomic():
                record.save(force_insert=True)
        except IntegrityError as error:
            message = _("The database refused it: %(error)s") % {"error": error}
            raise CannotRestore(message) from error
    return record
